// RUN: not llmopt-opt %s --llmopt-prune="ffn=0.5 min-ffn-channels=1 criterion=activation" 2>&1 | FileCheck %s --check-prefix=LAYER

// Statistics for some layers but not for a pruned one.
// LAYER: error: {{.*}}llmopt-prune: no calibration statistics for layer '/down/MatMul' (the activation criterion needs them for every pruned layer)
module attributes {llmopt.calibration_rms = {"/other/MatMul" = dense<1.0> : tensor<4xf32>}} {
  func.func @mlp(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %w1 = llmopt.constant dense<1.0> : tensor<4x2xf32>
    %h = llmopt.linear %x, %w1 {activation = "relu"} : (tensor<?x2xf32>, tensor<4x2xf32>) -> tensor<?x4xf32> loc("/up/MatMul")
    %w2 = llmopt.constant dense<1.0> : tensor<2x4xf32>
    %y = llmopt.linear %h, %w2 : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32> loc("/down/MatMul")
    return %y : tensor<?x2xf32>
  }
}
