// RUN: llmopt-opt %s --llmopt-prune="heads=0.5" | FileCheck %s
// RUN: llmopt-opt %s --llmopt-prune="heads=0.5" --llmopt-pack-projections | FileCheck %s --check-prefix=PACKED

// GPT-2's form: one projection makes Q, K and V (rows [Q heads | K heads | V heads]), sliced
// along the last axis, and the merged heads are flattened before the output projection. Two
// heads of two dims; magnitude (the product of the head's norms in Q, K, V and the output
// projection's columns): head 0 sqrt2^4 = 4, head 1 sqrt8^3 * sqrt2 = 32 -> head 1 stays: rows
// 2-3, 6-7 and 10-11 of the projection, slices [0, 2), [2, 4), [4, 6), one head everywhere,
// columns 2-3 of the output projection.
// CHECK: llmopt.pruning = {"/attn/c_proj/Gemm" = {kept = array<i64: 2, 3>, kind = "heads", of = 4 : i64}}
// CHECK-LABEL: func.func @gpt2_attention
// CHECK: %[[W:.*]] = llmopt.constant dense<{{\[}}[2.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00, 0.000000e+00, 0.000000e+00], [2.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00, 0.000000e+00, 0.000000e+00], [2.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<6x4xf32>
// CHECK: %[[P:.*]] = llmopt.linear %arg0, %[[W]] : (tensor<1x3x4xf32>, tensor<6x4xf32>) -> tensor<1x3x6xf32>
// CHECK: llmopt.slice %[[P]] {axes = array<i64: 2>, shape = [1, 3, 2], starts = [0], steps = array<i64: 1>} : tensor<1x3x6xf32> -> tensor<1x3x2xf32>
// CHECK: llmopt.slice %[[P]] {axes = array<i64: 2>, shape = [1, 3, 2], starts = [2], steps = array<i64: 1>} : tensor<1x3x6xf32> -> tensor<1x3x2xf32>
// CHECK: llmopt.slice %[[P]] {axes = array<i64: 2>, shape = [1, 3, 2], starts = [4], steps = array<i64: 1>} : tensor<1x3x6xf32> -> tensor<1x3x2xf32>
// CHECK-COUNT-3: llmopt.reshape %{{.*}} [0, 0, 1, 2] : tensor<1x3x2xf32> -> tensor<1x3x1x2xf32>
// CHECK: %[[A:.*]] = llmopt.attention {{.*}} -> tensor<1x3x1x2xf32>
// CHECK: %[[M:.*]] = llmopt.reshape %[[A]] [0, 0, 2] : tensor<1x3x1x2xf32> -> tensor<1x3x2xf32>
// CHECK: %[[F:.*]] = llmopt.reshape %[[M]] [-1, 2] : tensor<1x3x2xf32> -> tensor<3x2xf32>
// CHECK: %[[WO:.*]] = llmopt.constant dense<{{\[}}[0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00], [1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00]]> : tensor<4x2xf32>
// CHECK: llmopt.linear %[[F]], %[[WO]] : (tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<3x4xf32>

// The pruned slices still cover the projection's output in order: the packing pass folds them
// into one packed attention of one head.
// PACKED: llmopt.packed_attention {{.*}} -> tensor<1x3x1x2xf32>
module {
  func.func @gpt2_attention(%x: tensor<1x3x4xf32>) -> tensor<3x4xf32> {
    %w = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]]> : tensor<12x4xf32>
    %p = llmopt.linear %x, %w : (tensor<1x3x4xf32>, tensor<12x4xf32>) -> tensor<1x3x12xf32> loc("/attn/c_attn/Gemm")
    %q = llmopt.slice %p {axes = array<i64: 2>, shape = [1, 3, 4], starts = [0], steps = array<i64: 1>} : tensor<1x3x12xf32> -> tensor<1x3x4xf32>
    %k = llmopt.slice %p {axes = array<i64: 2>, shape = [1, 3, 4], starts = [4], steps = array<i64: 1>} : tensor<1x3x12xf32> -> tensor<1x3x4xf32>
    %v = llmopt.slice %p {axes = array<i64: 2>, shape = [1, 3, 4], starts = [8], steps = array<i64: 1>} : tensor<1x3x12xf32> -> tensor<1x3x4xf32>
    %qh = llmopt.reshape %q [0, 0, 2, 2] : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %kh = llmopt.reshape %k [0, 0, 2, 2] : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %vh = llmopt.reshape %v [0, 0, 2, 2] : tensor<1x3x4xf32> -> tensor<1x3x2x2xf32>
    %a = llmopt.attention %qh, %kh, %vh {causal = true, scale = 0.5 : f32} : (tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>, tensor<1x3x2x2xf32>) -> tensor<1x3x2x2xf32>
    %m = llmopt.reshape %a [0, 0, 4] : tensor<1x3x2x2xf32> -> tensor<1x3x4xf32>
    %f = llmopt.reshape %m [-1, 4] : tensor<1x3x4xf32> -> tensor<3x4xf32>
    %wo = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
    %y = llmopt.linear %f, %wo : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32> loc("/attn/c_proj/Gemm")
    return %y : tensor<3x4xf32>
  }
}
