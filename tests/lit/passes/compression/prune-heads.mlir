// RUN: llmopt-opt %s --llmopt-prune="heads=0.5" | FileCheck %s --check-prefix=MAG
// RUN: llmopt-opt %s --llmopt-prune="heads=0.5 criterion=activation" | FileCheck %s --check-prefix=ACT
// RUN: llmopt-opt %s --llmopt-prune="heads=0.5 head-rules=/gqa/*=0" | FileCheck %s --check-prefix=RULE
// RUN: llmopt-opt %s --llmopt-prune="heads=0.34 global=true" | FileCheck %s --check-prefix=GLOBAL

// Two heads of two dims. magnitude = the product of the head's norms in Q, K, V (rows) and
// the output projection (columns): head 0 sqrt2^4 = 4, head 1 sqrt2 * sqrt8^3 = 32 -> head 1
// stays: rows 2-3 of Q, K and V, columns 2-3 of the output projection; the split reshapes, the
// attention and the merging reshape get one head.
// MAG: llmopt.pruning = {"/attn/o/MatMul" = {kept = array<i64: 2, 3>, kind = "heads", of = 4 : i64}, "/gqa/o/MatMul" = {kept = array<i64: 1, 2>, kind = "heads", of = 4 : i64}}
// MAG-LABEL: func.func @mha
// MAG-COUNT-3: llmopt.constant dense<{{\[}}[2.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<2x4xf32>
// MAG: %[[A:.*]] = llmopt.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = true, scale = 5.000000e-01 : f32} : (tensor<1x3x1x2xf32>, tensor<1x3x1x2xf32>, tensor<1x3x1x2xf32>) -> tensor<1x3x1x2xf32>
// MAG: %[[M:.*]] = llmopt.reshape %[[A]] [0, 0, 2] : tensor<1x3x1x2xf32> -> tensor<1x3x2xf32>
// MAG: %[[WO:.*]] = llmopt.constant dense<{{\[}}[0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00], [1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00]]> : tensor<4x2xf32>
// MAG: llmopt.linear %[[M]], %[[WO]] : (tensor<1x3x2xf32>, tensor<4x2xf32>) -> tensor<1x3x4xf32>

// activation: the output projection's input RMS per head (10 and 0.1 per channel) x its column
// norms -> head 0 stays.
// ACT: llmopt.pruning = {"/attn/o/MatMul" = {kept = array<i64: 0, 1>, kind = "heads", of = 4 : i64}
// ACT-LABEL: func.func @mha
// ACT-COUNT-3: llmopt.constant dense<{{\[}}[1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<2x4xf32>

// Grouped-query attention, 4 query heads on 2 key/value heads of one dim: each group keeps its
// best query head (Q row norms 1, 3 | 5, 1 -> heads 1 and 2), the keys and values all stay.
// MAG-LABEL: func.func @gqa
// MAG-DAG: llmopt.constant dense<{{\[}}[0.000000e+00, 3.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 5.000000e+00, 0.000000e+00]]> : tensor<2x4xf32>
// MAG-DAG: llmopt.reshape %{{.*}} [0, 0, 2, 1] : tensor<1x3x2xf32> -> tensor<1x3x2x1xf32>
// MAG: llmopt.attention %{{.*}}, %{{.*}}, %{{.*}} {causal = true, scale = 1.000000e+00 : f32} : (tensor<1x3x2x1xf32>, tensor<1x3x2x1xf32>, tensor<1x3x2x1xf32>) -> tensor<1x3x2x1xf32>
// MAG: llmopt.constant dense<{{\[}}[0.000000e+00, 0.000000e+00], [1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00]]> : tensor<4x2xf32>

// A rule keeps every head of the matching attention.
// RULE: llmopt.pruning = {"/attn/o/MatMul" = {kept = array<i64: 2, 3>, kind = "heads", of = 4 : i64}}
// RULE-LABEL: func.func @gqa
// RULE: llmopt.attention {{.*}} -> tensor<1x3x4x1xf32>

// global: 2 of the 6 query heads go, ranked by score over their block's mean: /attn's head 0
// (4 / 18) first; /gqa's unit is a head of each group (the lower of each: (1 + 1) / 2 / 2.5),
// two heads, which would overshoot; /attn's head 1 is its last. So only /attn loses a head
// (per block, 0.34 takes one of /attn's two heads and one of each /gqa group's two).
// GLOBAL: llmopt.pruning = {"/attn/o/MatMul" = {kept = array<i64: 2, 3>, kind = "heads", of = 4 : i64}}
// GLOBAL-LABEL: func.func @gqa
// GLOBAL: llmopt.attention {{.*}} -> tensor<1x3x4x1xf32>

module attributes {llmopt.calibration_rms = {"/attn/o/MatMul" = dense<[10.0, 10.0, 0.1, 0.1]> : tensor<4xf32>, "/gqa/o/MatMul" = dense<1.0> : tensor<4xf32>}} {
  func.func @mha(%x: tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
    %w = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]]> : tensor<4x4xf32>
    %wk = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]]> : tensor<4x4xf32>
    %wv = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]]> : tensor<4x4xf32>
    %q = llmopt.linear %x, %w : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32> loc("/attn/q/MatMul")
    %k = llmopt.linear %x, %wk : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32> loc("/attn/k/MatMul")
    %v = llmopt.linear %x, %wv : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32> loc("/attn/v/MatMul")
    %qh = llmopt.reshape %q [0, 0, 2, 2] : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %kh = llmopt.reshape %k [0, 0, 2, 2] : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %vh = llmopt.reshape %v [0, 0, 2, 2] : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %a = llmopt.attention %qh, %kh, %vh {causal = true, scale = 0.5 : f32} : (tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
    %m = llmopt.reshape %a [0, 0, 4] : tensor<1x3x2x2xf32> -> tensor<1x3x4xf32>
    %wo = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
    %y = llmopt.linear %m, %wo : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32> loc("/attn/o/MatMul")
    return %y : tensor<1x3x4xf32>
  }

  func.func @gqa(%x: tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
    %wq = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 3.0, 0.0, 0.0], [0.0, 0.0, 5.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
    %wk = llmopt.constant dense<[[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]> : tensor<2x4xf32>
    %wv = llmopt.constant dense<[[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]> : tensor<2x4xf32>
    %q = llmopt.linear %x, %wq : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32> loc("/gqa/q/MatMul")
    %k = llmopt.linear %x, %wk : (tensor<1x3x4xf32>, tensor<2x4xf32>) -> tensor<1x3x2xf32> loc("/gqa/k/MatMul")
    %v = llmopt.linear %x, %wv : (tensor<1x3x4xf32>, tensor<2x4xf32>) -> tensor<1x3x2xf32> loc("/gqa/v/MatMul")
    %qh = llmopt.reshape %q [0, 0, 4, 1] : tensor<1x3x4xf32> -> tensor<1x3x4x1xf32>
    %kh = llmopt.reshape %k [0, 0, 2, 1] : tensor<1x3x2xf32> -> tensor<1x3x2x1xf32>
    %vh = llmopt.reshape %v [0, 0, 2, 1] : tensor<1x3x2xf32> -> tensor<1x3x2x1xf32>
    %a = llmopt.attention %qh, %kh, %vh {causal = true, scale = 1.0 : f32} : (tensor<1x3x4x1xf32>, tensor<1x3x2x1xf32>, tensor<1x3x2x1xf32>) -> tensor<1x3x4x1xf32>
    %m = llmopt.reshape %a [0, 0, 4] : tensor<1x3x4x1xf32> -> tensor<1x3x4xf32>
    %wo = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
    %y = llmopt.linear %m, %wo : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32> loc("/gqa/o/MatMul")
    return %y : tensor<1x3x4xf32>
  }
}
