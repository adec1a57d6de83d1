// RUN: not llmopt-opt %s --llmopt-prune=heads=1.5 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not llmopt-opt %s --llmopt-prune="ffn=0.5 criterion=size" 2>&1 | FileCheck %s --check-prefix=CRITERION
// RUN: not llmopt-opt %s --llmopt-prune="ffn=0.5 ffn-rules=/down/*" 2>&1 | FileCheck %s --check-prefix=RULE
// RUN: not llmopt-opt %s --llmopt-prune="ffn=0.5 ffn-rules=/down/*=2" 2>&1 | FileCheck %s --check-prefix=RULE2
// RUN: not llmopt-opt %s --llmopt-prune="ffn=0.5 min-ffn-channels=0" 2>&1 | FileCheck %s --check-prefix=MIN
// RUN: not llmopt-opt %s --llmopt-prune="ffn=0.5 criterion=activation" 2>&1 | FileCheck %s --check-prefix=NOSTATS

// RUN: not llmopt-opt %s --llmopt-prune="ffn=0.5 global=true ffn-rules=/down/*=0" 2>&1 | FileCheck %s --check-prefix=GLOBAL

// GLOBAL: error: llmopt-prune: rules set a fraction per block; a global ranking spreads the fraction itself (min-heads and min-ffn-channels still hold)
// RANGE: error: llmopt-prune: heads must be in [0, 1), got 1.500000
// CRITERION: error: llmopt-prune: criterion must be magnitude or activation, got 'size'
// RULE: error: llmopt-prune: rule '/down/*' must be GLOB=FRACTION with FRACTION in [0, 1)
// RULE2: error: llmopt-prune: rule '/down/*=2' must be GLOB=FRACTION with FRACTION in [0, 1)
// MIN: error: llmopt-prune: min-heads and min-ffn-channels must be at least 1
// NOSTATS: error: llmopt-prune: the activation criterion needs calibration statistics: compile with --calib FILE (the module has no 'llmopt.calibration_rms' attribute)
module {
  func.func @mlp(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %w1 = llmopt.constant dense<1.0> : tensor<4x2xf32>
    %h = llmopt.linear %x, %w1 {activation = "relu"} : (tensor<?x2xf32>, tensor<4x2xf32>) -> tensor<?x4xf32> loc("/up/MatMul")
    %w2 = llmopt.constant dense<1.0> : tensor<2x4xf32>
    %y = llmopt.linear %h, %w2 : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32> loc("/down/MatMul")
    return %y : tensor<?x2xf32>
  }
}
