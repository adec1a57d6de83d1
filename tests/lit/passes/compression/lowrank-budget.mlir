// RUN: llmopt-opt %s --llmopt-lowrank="budget=0.75 lm-head=true" | FileCheck %s --check-prefix=CHEAP
// RUN: llmopt-opt %s --llmopt-lowrank="budget=0.5 lm-head=true" | FileCheck %s --check-prefix=BOTH
// RUN: not llmopt-opt %s --llmopt-lowrank="budget=0.4 lm-head=true" 2>&1 | FileCheck %s --check-prefix=UNMET
// RUN: llmopt-opt %s --llmopt-lowrank="energy=0.5 lm-head=true" | FileCheck %s --check-prefix=CHEAP
// RUN: llmopt-opt %s --llmopt-lowrank="energy=0.5 lm-head=true rules=/full/*=0.25,/none/*=0.9" | FileCheck %s --check-prefix=BOTH

// Two 4x4 layers, 32 parameters: the break-even rank is 2, so each may go to rank 1 (8
// parameters, 8 saved). /rank1's W has one singular value (dropping the other three costs
// nothing); the identity loses 3/4 of its spectrum at rank 1. A budget spends the cheap cut
// first: 0.75 (24 parameters) factorizes /rank1 alone, 0.5 (16) both.
// CHEAP: llmopt.lowrank = {"/rank1/MatMul" = {k = 4 : i64, n = 4 : i64, rank = 1 : i64}}
// CHEAP-LABEL: func.func @main
// CHEAP: llmopt.linear %arg0, %{{.*}} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
// CHEAP: llmopt.linear %{{.*}} : (tensor<?x4xf32>, tensor<1x4xf32>) -> tensor<?x1xf32>

// BOTH: llmopt.lowrank = {"/full/MatMul" = {k = 4 : i64, n = 4 : i64, rank = 1 : i64}, "/rank1/MatMul" = {k = 4 : i64, n = 4 : i64, rank = 1 : i64}}

// Below rank 1 there is nothing left to cut: 0.4 cannot be met.
// UNMET: error: llmopt-lowrank: budget 0.4 cannot be met: at their smallest ranks the 2 layers that may be factorized keep 0.5 of their parameters

// Energy 0.5 takes /rank1 to rank 1 but needs rank 2 of the identity (above the margin, 1.9):
// /full stays. A rule giving /full an energy of 0.25 factorizes it too (the last matching rule
// wins; one that matches nothing changes nothing).
module {
  func.func @main(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %i = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
    %h = llmopt.linear %x, %i : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("/full/MatMul")
    %w = llmopt.constant dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
    %y = llmopt.linear %h, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("/rank1/MatMul")
    return %y : tensor<?x4xf32>
  }
}
