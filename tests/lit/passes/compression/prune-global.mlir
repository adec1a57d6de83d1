// RUN: llmopt-opt %s --llmopt-prune="ffn=0.5 min-ffn-channels=1 global=true" | FileCheck %s --check-prefix=GLOBAL
// RUN: llmopt-opt %s --llmopt-prune="ffn=0.5 min-ffn-channels=1" | FileCheck %s --check-prefix=BLOCK
// RUN: llmopt-opt %s --llmopt-prune="ffn=0.5 min-ffn-channels=2 global=true" | FileCheck %s --check-prefix=MIN

// Two MLPs of 4 channels; down's columns all have norm 1, so a channel's magnitude score is its
// row norm in up: /big 10, 20, 30, 40; /small 4, 1, 3, 2. Removing half of the 8 channels
// globally takes the four lowest: /small's 1, 2 and 3, then (/small at its minimum of one
// channel) /big's 10. Per block, each keeps its best two.
// GLOBAL: llmopt.pruning = {"/big/down/MatMul" = {kept = array<i64: 1, 2, 3>, kind = "ffn", of = 4 : i64}, "/small/down/MatMul" = {kept = array<i64: 0>, kind = "ffn", of = 4 : i64}}
// GLOBAL-LABEL: func.func @main
// GLOBAL: llmopt.linear %arg0, %{{.*}} {activation = "gelu"} : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
// GLOBAL: llmopt.linear %{{.*}} : (tensor<?x3xf32>, tensor<2x3xf32>) -> tensor<?x2xf32>
// GLOBAL: llmopt.linear %{{.*}} {activation = "gelu"} : (tensor<?x2xf32>, tensor<1x2xf32>) -> tensor<?x1xf32>
// GLOBAL: llmopt.linear %{{.*}} : (tensor<?x1xf32>, tensor<2x1xf32>) -> tensor<?x2xf32>

// BLOCK: llmopt.pruning = {"/big/down/MatMul" = {kept = array<i64: 2, 3>, kind = "ffn", of = 4 : i64}, "/small/down/MatMul" = {kept = array<i64: 0, 2>, kind = "ffn", of = 4 : i64}}

// With two channels kept per block at least, /small loses two and /big the other two.
// MIN: llmopt.pruning = {"/big/down/MatMul" = {kept = array<i64: 2, 3>, kind = "ffn", of = 4 : i64}, "/small/down/MatMul" = {kept = array<i64: 0, 2>, kind = "ffn", of = 4 : i64}}
module {
  func.func @main(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %u1 = llmopt.constant dense<[[10.0, 0.0], [20.0, 0.0], [30.0, 0.0], [40.0, 0.0]]> : tensor<4x2xf32>
    %h1 = llmopt.linear %x, %u1 {activation = "gelu"} : (tensor<?x2xf32>, tensor<4x2xf32>) -> tensor<?x4xf32> loc("/big/up/MatMul")
    %d1 = llmopt.constant dense<[[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
    %y1 = llmopt.linear %h1, %d1 : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32> loc("/big/down/MatMul")
    %u2 = llmopt.constant dense<[[4.0, 0.0], [1.0, 0.0], [3.0, 0.0], [2.0, 0.0]]> : tensor<4x2xf32>
    %h2 = llmopt.linear %y1, %u2 {activation = "gelu"} : (tensor<?x2xf32>, tensor<4x2xf32>) -> tensor<?x4xf32> loc("/small/up/MatMul")
    %d2 = llmopt.constant dense<[[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
    %y2 = llmopt.linear %h2, %d2 : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32> loc("/small/down/MatMul")
    return %y2 : tensor<?x2xf32>
  }
}
