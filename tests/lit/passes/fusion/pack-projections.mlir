// RUN: llmopt-opt %s -split-input-file --llmopt-pack-projections | FileCheck %s
// RUN: llmopt-opt %s -split-input-file --llmopt-pack-projections -mlir-print-debuginfo -mlir-print-local-scope | FileCheck %s --check-prefix=LOC
// RUN: llmopt-opt %s -split-input-file "--llmopt-pack-projections=disable=qkv" | FileCheck %s --check-prefix=NOQKV
// RUN: llmopt-opt %s -split-input-file "--llmopt-pack-projections=disable=gate-up" | FileCheck %s --check-prefix=NOGATE
// RUN: not llmopt-opt %s -split-input-file "--llmopt-pack-projections=disable=ffn" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: llmopt-pack-projections: unknown packing 'ffn' in disable (expected qkv or gate-up)

// Llama's attention (separate q, k, v projections, grouped-query: 2 query heads per kv head,
// RoPE): one linear with the rows stacked q, k, v, and packed_attention on its head split.
// CHECK-LABEL: func.func @llama_qkv
// CHECK: %[[W:.*]] = llmopt.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00], [2.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00], [3.000000e+00, 0.000000e+00], [0.000000e+00, 3.000000e+00], [4.000000e+00, 4.000000e+00], [5.000000e+00, 5.000000e+00]]> : tensor<8x2xf32>
// CHECK: %[[P:.*]] = llmopt.linear %arg0, %[[W]] : (tensor<?x?x2xf32>, tensor<8x2xf32>) -> tensor<?x?x8xf32>
// CHECK: %[[H:.*]] = llmopt.reshape %[[P]] [0, 0, 4, 2] : tensor<?x?x8xf32> -> tensor<?x?x4x2xf32>
// CHECK: %[[A:.*]] = llmopt.packed_attention %[[H]] rope(%arg1, %arg2) {causal = true, kv_heads = 1 : i64, scale = 5.000000e-01 : f32} : (tensor<?x?x4x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x?x2x2xf32>
// CHECK-NEXT: return %[[A]]
// LOC-LABEL: func.func @llama_qkv
// LOC: llmopt.linear {{.*}} loc("/l.0/attn/{q_proj+k_proj+v_proj}/MatMul"(fused["/l.0/attn/q_proj/MatMul", "/l.0/attn/k_proj/MatMul", "/l.0/attn/v_proj/MatMul"]))
// NOQKV-LABEL: func.func @llama_qkv
// NOQKV: llmopt.attention
// NOGATE-LABEL: func.func @llama_qkv
// NOGATE: llmopt.packed_attention
func.func @llama_qkv(%x: tensor<?x?x2xf32>, %cos: tensor<?x2xf32>, %sin: tensor<?x2xf32>) -> tensor<?x?x2x2xf32> {
  %wq = llmopt.constant dense<[[1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [0.0, 2.0]]> : tensor<4x2xf32>
  %wk = llmopt.constant dense<[[3.0, 0.0], [0.0, 3.0]]> : tensor<2x2xf32>
  // V as MatMul exports it: the transpose of a [K, N] constant.
  %wv_kn = llmopt.constant dense<[[4.0, 5.0], [4.0, 5.0]]> : tensor<2x2xf32>
  %wv = llmopt.transpose %wv_kn [1, 0] : tensor<2x2xf32> -> tensor<2x2xf32>
  %q = llmopt.linear %x, %wq : (tensor<?x?x2xf32>, tensor<4x2xf32>) -> tensor<?x?x4xf32> loc("/l.0/attn/q_proj/MatMul")
  %k = llmopt.linear %x, %wk : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32> loc("/l.0/attn/k_proj/MatMul")
  %v = llmopt.linear %x, %wv : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32> loc("/l.0/attn/v_proj/MatMul")
  %qh = llmopt.reshape %q [0, 0, 2, 2] : tensor<?x?x4xf32> -> tensor<?x?x2x2xf32>
  %kh = llmopt.reshape %k [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %vh = llmopt.reshape %v [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %a = llmopt.attention %qh, %kh, %vh rope(%cos, %sin) {causal = true, scale = 0.5 : f32} : (tensor<?x?x2x2xf32>, tensor<?x?x1x2xf32>, tensor<?x?x1x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x?x2x2xf32>
  return %a : tensor<?x?x2x2xf32>
}

// -----

// BERT's projections carry biases: stacked in the same order. A key bias passes through.
// CHECK-LABEL: func.func @bert_qkv_bias
// CHECK: %[[B:.*]] = llmopt.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK: %[[P:.*]] = llmopt.linear %arg0, %{{.*}}, %[[B]] : (tensor<?x?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
// CHECK: %[[H:.*]] = llmopt.reshape %[[P]] [0, 0, 3, 1]
// CHECK: llmopt.packed_attention %[[H]] key_bias(%arg1) {causal = false, kv_heads = 1 : i64, scale = 1.000000e+00 : f32}
func.func @bert_qkv_bias(%x: tensor<?x?x4xf32>, %mask: tensor<?x?xf32>) -> tensor<?x?x1x1xf32> {
  %w = llmopt.constant dense<[[1.0, 1.0, 1.0, 1.0]]> : tensor<1x4xf32>
  %bq = llmopt.constant dense<[1.0]> : tensor<1xf32>
  %bk = llmopt.constant dense<[2.0]> : tensor<1xf32>
  %bv = llmopt.constant dense<[3.0]> : tensor<1xf32>
  %q = llmopt.linear %x, %w, %bq : (tensor<?x?x4xf32>, tensor<1x4xf32>, tensor<1xf32>) -> tensor<?x?x1xf32>
  %k = llmopt.linear %x, %w, %bk : (tensor<?x?x4xf32>, tensor<1x4xf32>, tensor<1xf32>) -> tensor<?x?x1xf32>
  %v = llmopt.linear %x, %w, %bv : (tensor<?x?x4xf32>, tensor<1x4xf32>, tensor<1xf32>) -> tensor<?x?x1xf32>
  %qh = llmopt.reshape %q [0, 0, 1, 1] : tensor<?x?x1xf32> -> tensor<?x?x1x1xf32>
  %kh = llmopt.reshape %k [0, 0, 1, 1] : tensor<?x?x1xf32> -> tensor<?x?x1x1xf32>
  %vh = llmopt.reshape %v [0, 0, 1, 1] : tensor<?x?x1xf32> -> tensor<?x?x1x1xf32>
  %a = llmopt.attention %qh, %kh, %vh key_bias(%mask) {causal = false, scale = 1.0 : f32} : (tensor<?x?x1x1xf32>, tensor<?x?x1x1xf32>, tensor<?x?x1x1xf32>, tensor<?x?xf32>) -> tensor<?x?x1x1xf32>
  return %a : tensor<?x?x1x1xf32>
}

// -----

// GPT-2: one Conv1D already computes q, k and v; Split gives three slices. packed_attention
// reads the Conv1D's output directly, and the slices go.
// CHECK-LABEL: func.func @gpt2_sliced
// CHECK: %[[H:.*]] = llmopt.reshape %arg0 [0, 0, 6, 4] : tensor<?x?x24xf32> -> tensor<?x?x6x4xf32>
// CHECK: %[[A:.*]] = llmopt.packed_attention %[[H]] {causal = true, kv_heads = 2 : i64, scale = 5.000000e-01 : f32} : (tensor<?x?x6x4xf32>) -> tensor<?x?x2x4xf32>
// CHECK-NOT: llmopt.slice
// CHECK: return %[[A]]
// NOQKV-LABEL: func.func @gpt2_sliced
// NOQKV-COUNT-3: llmopt.slice
func.func @gpt2_sliced(%p: tensor<?x?x24xf32>) -> tensor<?x?x2x4xf32> {
  %q = llmopt.slice %p {axes = array<i64: 2>, shape = ["batch", "seq", 8], starts = [0], steps = array<i64: 1>} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %k = llmopt.slice %p {axes = array<i64: 2>, shape = ["batch", "seq", 8], starts = [8], steps = array<i64: 1>} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %v = llmopt.slice %p {axes = array<i64: 2>, shape = ["batch", "seq", 8], starts = [16], steps = array<i64: 1>} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %qh = llmopt.reshape %q [0, 0, 2, 4] : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %kh = llmopt.reshape %k [0, 0, 2, 4] : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %vh = llmopt.reshape %v [0, 0, 2, 4] : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %a = llmopt.attention %qh, %kh, %vh {causal = true, scale = 0.5 : f32} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x4xf32>
  return %a : tensor<?x?x2x4xf32>
}

// -----

// Slices in another order (k, q, v) are not a packed q, k, v: unchanged.
// CHECK-LABEL: func.func @sliced_out_of_order
// CHECK: llmopt.attention
// CHECK-NOT: packed_attention
func.func @sliced_out_of_order(%p: tensor<?x?x24xf32>) -> tensor<?x?x2x4xf32> {
  %q = llmopt.slice %p {axes = array<i64: 2>, shape = ["batch", "seq", 8], starts = [8], steps = array<i64: 1>} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %k = llmopt.slice %p {axes = array<i64: 2>, shape = ["batch", "seq", 8], starts = [0], steps = array<i64: 1>} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %v = llmopt.slice %p {axes = array<i64: 2>, shape = ["batch", "seq", 8], starts = [16], steps = array<i64: 1>} : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
  %qh = llmopt.reshape %q [0, 0, 2, 4] : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %kh = llmopt.reshape %k [0, 0, 2, 4] : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %vh = llmopt.reshape %v [0, 0, 2, 4] : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %a = llmopt.attention %qh, %kh, %vh {causal = true, scale = 0.5 : f32} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x4xf32>
  return %a : tensor<?x?x2x4xf32>
}

// -----

// Near misses for q, k, v: k reads another input (cross-attention); v's projection is also an
// output; q has a bias and k, v none. Nothing is packed.
// CHECK-LABEL: func.func @qkv_near_misses
// CHECK-NOT: packed_attention
// CHECK-COUNT-3: llmopt.attention
func.func @qkv_near_misses(%x: tensor<?x?x2xf32>, %y: tensor<?x?x2xf32>) -> (tensor<?x?x1x2xf32>, tensor<?x?x1x2xf32>, tensor<?x?x2xf32>, tensor<?x?x1x2xf32>) {
  %w = llmopt.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %b = llmopt.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %q1 = llmopt.linear %x, %w : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %k1 = llmopt.linear %y, %w : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %v1 = llmopt.linear %x, %w : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %q1h = llmopt.reshape %q1 [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %k1h = llmopt.reshape %k1 [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %v1h = llmopt.reshape %v1 [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %a1 = llmopt.attention %q1h, %k1h, %v1h {causal = false, scale = 1.0 : f32} : (tensor<?x?x1x2xf32>, tensor<?x?x1x2xf32>, tensor<?x?x1x2xf32>) -> tensor<?x?x1x2xf32>
  %q2 = llmopt.linear %x, %w : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %k2 = llmopt.linear %x, %w : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %v2 = llmopt.linear %x, %w : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %q2h = llmopt.reshape %q2 [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %k2h = llmopt.reshape %k2 [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %v2h = llmopt.reshape %v2 [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %a2 = llmopt.attention %q2h, %k2h, %v2h {causal = false, scale = 1.0 : f32} : (tensor<?x?x1x2xf32>, tensor<?x?x1x2xf32>, tensor<?x?x1x2xf32>) -> tensor<?x?x1x2xf32>
  %q3 = llmopt.linear %x, %w, %b : (tensor<?x?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %k3 = llmopt.linear %x, %w : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %v3 = llmopt.linear %x, %w : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %q3h = llmopt.reshape %q3 [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %k3h = llmopt.reshape %k3 [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %v3h = llmopt.reshape %v3 [0, 0, 1, 2] : tensor<?x?x2xf32> -> tensor<?x?x1x2xf32>
  %a3 = llmopt.attention %q3h, %k3h, %v3h {causal = false, scale = 1.0 : f32} : (tensor<?x?x1x2xf32>, tensor<?x?x1x2xf32>, tensor<?x?x1x2xf32>) -> tensor<?x?x1x2xf32>
  return %a1, %a2, %v2, %a3 : tensor<?x?x1x2xf32>, tensor<?x?x1x2xf32>, tensor<?x?x2xf32>, tensor<?x?x1x2xf32>
}

// -----

// SwiGLU with the SiLU already in the gate's epilogue (what llmopt-fuse-epilogues leaves), and
// with a standalone SiLU and the product written the other way round.
// CHECK-LABEL: func.func @swiglu
// CHECK: %[[W:.*]] = llmopt.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00], [2.000000e+00, 2.000000e+00], [3.000000e+00, 3.000000e+00]]> : tensor<4x2xf32>
// CHECK: %[[G:.*]] = llmopt.linear %arg0, %[[W]] {activation = "swiglu"} : (tensor<?x2xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
// CHECK: %[[G2:.*]] = llmopt.linear %[[G]], %{{.*}} {activation = "swiglu"} : (tensor<?x2xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
// CHECK-NOT: llmopt.mul
// CHECK-NOT: llmopt.silu
// CHECK: return %[[G2]]
// LOC-LABEL: func.func @swiglu
// LOC: {activation = "swiglu"} {{.*}} loc("/mlp/{gate+up}"(fused["/mlp/gate", "/mlp/up"]))
// NOGATE-LABEL: func.func @swiglu
// NOGATE-COUNT-2: llmopt.mul
func.func @swiglu(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %wg = llmopt.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %wu = llmopt.constant dense<[[2.0, 2.0], [3.0, 3.0]]> : tensor<2x2xf32>
  %g = llmopt.linear %x, %wg {activation = "silu"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32> loc("/mlp/gate")
  %u = llmopt.linear %x, %wu : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32> loc("/mlp/up")
  %h = llmopt.mul %g, %u : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  %g2 = llmopt.linear %h, %wg : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %s2 = llmopt.silu %g2 : tensor<?x2xf32>
  %u2 = llmopt.linear %h, %wu : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %h2 = llmopt.mul %u2, %s2 : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %h2 : tensor<?x2xf32>
}

// -----

// Quantized layers of one mode stack their storage row by row (weights, scales, offsets); layers
// of different modes do not stack.
// CHECK-LABEL: func.func @swiglu_int4
// CHECK-DAG: %[[Q:.*]] = llmopt.constant dense<{{\[}}[1, 2, 3, 4], [5, 6, 7, 8]]> : tensor<2x4xui4>
// CHECK-DAG: %[[S:.*]] = llmopt.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf16>
// CHECK-DAG: %[[O:.*]] = llmopt.constant dense<{{\[}}[0.000000e+00, 1.000000e+00], [2.000000e+00, 3.000000e+00]]> : tensor<2x2xf16>
// CHECK: llmopt.quantized_linear %arg0, %[[Q]] scale %[[S]] offset %[[O]] {activation = "swiglu", group_size = 2 : i64, mode = "int4"} : (tensor<?x4xf32>, tensor<2x4xui4>, tensor<2x2xf16>, tensor<2x2xf16>) -> tensor<?x1xf32>
// CHECK-LABEL: func.func @swiglu_mixed_modes
// CHECK: llmopt.mul
func.func @swiglu_int4(%x: tensor<?x4xf32>) -> tensor<?x1xf32> {
  %qg = llmopt.constant dense<[[1, 2, 3, 4]]> : tensor<1x4xui4>
  %sg = llmopt.constant dense<[[1.0, 2.0]]> : tensor<1x2xf16>
  %og = llmopt.constant dense<[[0.0, 1.0]]> : tensor<1x2xf16>
  %qu = llmopt.constant dense<[[5, 6, 7, 8]]> : tensor<1x4xui4>
  %su = llmopt.constant dense<[[3.0, 4.0]]> : tensor<1x2xf16>
  %ou = llmopt.constant dense<[[2.0, 3.0]]> : tensor<1x2xf16>
  %g = llmopt.quantized_linear %x, %qg scale %sg offset %og {activation = "silu", mode = "int4", group_size = 2 : i64} : (tensor<?x4xf32>, tensor<1x4xui4>, tensor<1x2xf16>, tensor<1x2xf16>) -> tensor<?x1xf32>
  %u = llmopt.quantized_linear %x, %qu scale %su offset %ou {mode = "int4", group_size = 2 : i64} : (tensor<?x4xf32>, tensor<1x4xui4>, tensor<1x2xf16>, tensor<1x2xf16>) -> tensor<?x1xf32>
  %h = llmopt.mul %g, %u : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  return %h : tensor<?x1xf32>
}
func.func @swiglu_mixed_modes(%x: tensor<?x4xf32>) -> tensor<?x1xf32> {
  %qg = llmopt.constant dense<[[1, 2, 3, 4]]> : tensor<1x4xui4>
  %sg = llmopt.constant dense<[[1.0, 2.0]]> : tensor<1x2xf16>
  %og = llmopt.constant dense<[[0.0, 1.0]]> : tensor<1x2xf16>
  %wu = llmopt.constant dense<[[1.0, 1.0, 1.0, 1.0]]> : tensor<1x4xf32>
  %g = llmopt.quantized_linear %x, %qg scale %sg offset %og {activation = "silu", mode = "int4", group_size = 2 : i64} : (tensor<?x4xf32>, tensor<1x4xui4>, tensor<1x2xf16>, tensor<1x2xf16>) -> tensor<?x1xf32>
  %u = llmopt.linear %x, %wu : (tensor<?x4xf32>, tensor<1x4xf32>) -> tensor<?x1xf32>
  %h = llmopt.mul %g, %u : (tensor<?x1xf32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  return %h : tensor<?x1xf32>
}

// -----

// Near misses for gate/up: the SiLU'd value is used twice; up has an activation of its own.
// CHECK-LABEL: func.func @swiglu_near_misses
// CHECK-NOT: swiglu
// CHECK-COUNT-2: llmopt.mul
func.func @swiglu_near_misses(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  %w = llmopt.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %g = llmopt.linear %x, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %s = llmopt.silu %g : tensor<?x2xf32>
  %u = llmopt.linear %x, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %h = llmopt.mul %s, %u : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  %g2 = llmopt.linear %x, %w {activation = "silu"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %u2 = llmopt.linear %x, %w {activation = "relu"} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %h2 = llmopt.mul %g2, %u2 : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  return %h, %h2, %s : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}
