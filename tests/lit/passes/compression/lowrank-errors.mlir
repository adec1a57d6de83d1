// RUN: not llmopt-opt %s --llmopt-lowrank 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not llmopt-opt %s --llmopt-lowrank="ratio=0.5 energy=0.9" 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not llmopt-opt %s --llmopt-lowrank="ratio=1.5" 2>&1 | FileCheck %s --check-prefix=RATIO
// RUN: not llmopt-opt %s --llmopt-lowrank="energy=2" 2>&1 | FileCheck %s --check-prefix=ENERGY
// RUN: not llmopt-opt %s --llmopt-lowrank="energy=0.5 criterion=whiten" 2>&1 | FileCheck %s --check-prefix=CRITERION
// RUN: not llmopt-opt %s --llmopt-lowrank="energy=0.5 criterion=activation" 2>&1 | FileCheck %s --check-prefix=NOSTATS
// RUN: not llmopt-opt %s --llmopt-lowrank="energy=0.5 margin=0" 2>&1 | FileCheck %s --check-prefix=MARGIN

// RUN: not llmopt-opt %s --llmopt-lowrank="ratio=0.5 budget=0.5" 2>&1 | FileCheck %s --check-prefix=NONE
// RUN: not llmopt-opt %s --llmopt-lowrank="budget=1.5" 2>&1 | FileCheck %s --check-prefix=BUDGET
// RUN: not llmopt-opt %s --llmopt-lowrank="budget=0.5 rules=/fc/*=0.5" 2>&1 | FileCheck %s --check-prefix=BUDGETRULES
// RUN: not llmopt-opt %s --llmopt-lowrank="ratio=0.5 rules=/fc/*=1.5" 2>&1 | FileCheck %s --check-prefix=RULERATIO
// RUN: not llmopt-opt %s --llmopt-lowrank="energy=0.5 rules=/fc/*" 2>&1 | FileCheck %s --check-prefix=RULEENERGY

// NONE: error: llmopt-lowrank: set exactly one of ratio (parameters kept per layer), energy (spectrum kept) and budget (parameters kept in all)
// BUDGET: error: llmopt-lowrank: budget must be in (0, 1), got 1.500000
// BUDGETRULES: error: llmopt-lowrank: rules set a ratio or an energy per layer; a budget spreads the ranks itself (leave layers out with keep)
// RULERATIO: error: llmopt-lowrank: rule '/fc/*=1.5' must be GLOB=RATIO with RATIO in (0, 1)
// RULEENERGY: error: llmopt-lowrank: rule '/fc/*' must be GLOB=ENERGY with ENERGY in (0, 1]
// RATIO: error: llmopt-lowrank: ratio must be in (0, 1), got 1.500000
// ENERGY: error: llmopt-lowrank: energy must be in (0, 1], got 2.000000
// CRITERION: error: llmopt-lowrank: criterion must be plain or activation, got 'whiten'
// NOSTATS: error: llmopt-lowrank: the activation criterion needs calibration statistics: compile with --calib FILE (the module has no 'llmopt.calibration_rms' attribute)
// MARGIN: error: llmopt-lowrank: margin must be in (0, 1], got 0.000000
module {
  func.func @main(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %w = llmopt.constant dense<1.0> : tensor<4x4xf32>
    %y = llmopt.linear %x, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("/fc/MatMul")
    return %y : tensor<?x4xf32>
  }
}
