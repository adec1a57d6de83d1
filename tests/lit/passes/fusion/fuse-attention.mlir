// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-attention | FileCheck %s
// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-attention --canonicalize | FileCheck %s --check-prefix=CANON

// charlm-gpt (torch.onnx): scores / sqrt(d), the tril buffer sliced to [seq, seq], Not, then
// Where(drop, -inf, scores).
// CHECK-LABEL: func.func @charlm_form
// CHECK: %[[A:.*]] = llmopt.attention %arg0, %arg1, %arg2 {causal = true, scale = 0.353553385 : f32} : (tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>, tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32>
// CHECK: %[[T:.*]] = llmopt.transpose %[[A]] [0, 2, 1, 3]
// CHECK-NOT: llmopt.softmax
// The head-merging transpose cancels against the one the pattern leaves.
// CANON-LABEL: func.func @charlm_form
// CANON-NEXT: %[[A:.*]] = llmopt.attention %arg0, %arg1, %arg2
// CANON-NEXT: return %[[A]]
func.func @charlm_form(%q: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %k: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %v: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}) -> tensor<?x?x2x8xf32> {
  %tril = llmopt.constant dense<[[[[true, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]]]> : tensor<1x1x4x4xi1>
  %c = llmopt.constant dense<2.82842708> : tensor<f32>
  %ninf = llmopt.constant dense<0xFF800000> : tensor<f32>
  %qt = llmopt.transpose %q [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %kt = llmopt.transpose %k [0, 2, 3, 1] : tensor<?x?x2x8xf32> -> tensor<?x2x8x?xf32>
  %vt = llmopt.transpose %v [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %s = llmopt.matmul %qt, %kt : (tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32>) -> tensor<?x2x?x?xf32>
  %d = llmopt.div %s, %c : (tensor<?x2x?x?xf32>, tensor<f32>) -> tensor<?x2x?x?xf32>
  %m0 = llmopt.slice %tril {axes = array<i64: 2>, shape = [1, 1, "seq", 4], starts = [0], steps = array<i64: 1>} : tensor<1x1x4x4xi1> -> tensor<1x1x?x4xi1>
  %m1 = llmopt.slice %m0 {axes = array<i64: 3>, shape = [1, 1, "seq", "seq"], starts = [0], steps = array<i64: 1>} : tensor<1x1x?x4xi1> -> tensor<1x1x?x?xi1>
  %drop = llmopt.not %m1 : tensor<1x1x?x?xi1>
  %w = llmopt.where %drop, %ninf, %d : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %p = llmopt.softmax %w {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = llmopt.matmul %p, %vt : (tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %y = llmopt.transpose %o [0, 2, 1, 3] : tensor<?x2x?x8xf32> -> tensor<?x?x2x8xf32>
  return %y : tensor<?x?x2x8xf32>
}

// -----

// Hugging Face GPT-2: Where(keep, scores, finfo(float32).min).
// CHECK-LABEL: func.func @gpt2_form
// CHECK: llmopt.attention %arg0, %arg1, %arg2 {causal = true, scale = 2.500000e-01 : f32}
func.func @gpt2_form(%q: tensor<?x?x4x16xf32> {llmopt.dim_names = ["batch", "seq"]}, %k: tensor<?x?x4x16xf32> {llmopt.dim_names = ["batch", "seq"]}, %v: tensor<?x?x4x16xf32> {llmopt.dim_names = ["batch", "seq"]}) -> tensor<?x4x?x16xf32> {
  %tril = llmopt.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %c = llmopt.constant dense<4.0> : tensor<f32>
  %min = llmopt.constant dense<-3.40282347E+38> : tensor<f32>
  %qt = llmopt.transpose %q [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %kt = llmopt.transpose %k [0, 2, 3, 1] : tensor<?x?x4x16xf32> -> tensor<?x4x16x?xf32>
  %vt = llmopt.transpose %v [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %s = llmopt.matmul %qt, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d = llmopt.div %s, %c : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %m0 = llmopt.slice %tril {axes = array<i64: 2>, shape = [1, 1, "seq", 3], starts = [0], steps = array<i64: 1>} : tensor<1x1x3x3xi1> -> tensor<1x1x?x3xi1>
  %m1 = llmopt.slice %m0 {axes = array<i64: 3>, shape = [1, 1, "seq", "seq"], starts = [0], steps = array<i64: 1>} : tensor<1x1x?x3xi1> -> tensor<1x1x?x?xi1>
  %w = llmopt.where %m1, %d, %min : (tensor<1x1x?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p = llmopt.softmax %w {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = llmopt.matmul %p, %vt : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// No mask (an encoder), the scale as a Mul by 1/sqrt(d): not causal. Static shapes.
// CHECK-LABEL: func.func @unmasked_mul_scale
// CHECK: llmopt.attention %arg0, %arg1, %arg2 {causal = false, scale = 1.250000e-01 : f32} : (tensor<2x5x3x64xf32>, tensor<2x5x3x64xf32>, tensor<2x5x3x64xf32>) -> tensor<2x5x3x64xf32>
func.func @unmasked_mul_scale(%q: tensor<2x5x3x64xf32>, %k: tensor<2x5x3x64xf32>, %v: tensor<2x5x3x64xf32>) -> tensor<2x3x5x64xf32> {
  %c = llmopt.constant dense<0.125> : tensor<f32>
  %qt = llmopt.transpose %q [0, 2, 1, 3] : tensor<2x5x3x64xf32> -> tensor<2x3x5x64xf32>
  %kt = llmopt.transpose %k [0, 2, 3, 1] : tensor<2x5x3x64xf32> -> tensor<2x3x64x5xf32>
  %vt = llmopt.transpose %v [0, 2, 1, 3] : tensor<2x5x3x64xf32> -> tensor<2x3x5x64xf32>
  %s = llmopt.matmul %qt, %kt : (tensor<2x3x5x64xf32>, tensor<2x3x64x5xf32>) -> tensor<2x3x5x5xf32>
  %d = llmopt.mul %c, %s : (tensor<f32>, tensor<2x3x5x5xf32>) -> tensor<2x3x5x5xf32>
  %p = llmopt.softmax %d {axis = 3 : i64} : tensor<2x3x5x5xf32>
  %o = llmopt.matmul %p, %vt : (tensor<2x3x5x5xf32>, tensor<2x3x5x64xf32>) -> tensor<2x3x5x64xf32>
  return %o : tensor<2x3x5x64xf32>
}

// -----

// Not fused: a mask that is not lower-triangular (an upper triangle), and a softmax whose
// result is used twice.
// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: llmopt.attention
// CHECK: return
func.func @near_misses(%q: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %k: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %v: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>) {
  %triu = llmopt.constant dense<[[[[true, true], [false, true]]]]> : tensor<1x1x2x2xi1>
  %ninf = llmopt.constant dense<0xFF800000> : tensor<f32>
  %qt = llmopt.transpose %q [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %kt = llmopt.transpose %k [0, 2, 3, 1] : tensor<?x?x2x8xf32> -> tensor<?x2x8x?xf32>
  %vt = llmopt.transpose %v [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %s = llmopt.matmul %qt, %kt : (tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32>) -> tensor<?x2x?x?xf32>
  %m = llmopt.slice %triu {axes = array<i64: 2, 3>, shape = [1, 1, "seq", "seq"], starts = [0, 0], steps = array<i64: 1, 1>} : tensor<1x1x2x2xi1> -> tensor<1x1x?x?xi1>
  %w = llmopt.where %m, %s, %ninf : (tensor<1x1x?x?xi1>, tensor<?x2x?x?xf32>, tensor<f32>) -> tensor<?x2x?x?xf32>
  %p = llmopt.softmax %w {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = llmopt.matmul %p, %vt : (tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %s2 = llmopt.matmul %qt, %kt : (tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32>) -> tensor<?x2x?x?xf32>
  %p2 = llmopt.softmax %s2 {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o2 = llmopt.matmul %p2, %vt : (tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  return %o, %o2, %p2 : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>
}

// -----

// Hugging Face Llama (transformers 4.3x export): RoPE (rotate half) on q and k, k and v repeated
// for grouped-query attention, and an additive causal mask: a constant "masked" table times the
// float minimum, sliced to seq columns and its rows gathered by position.
// CHECK-LABEL: func.func @llama_form
// CHECK-DAG: %[[COS:.*]] = llmopt.reshape %arg3 [-1, 16] : tensor<1x1x?x16xf32> -> tensor<?x16xf32>
// CHECK-DAG: %[[SIN:.*]] = llmopt.reshape %arg4 [-1, 16] : tensor<1x1x?x16xf32> -> tensor<?x16xf32>
// CHECK: llmopt.attention %arg0, %arg1, %arg2 rope(%[[COS]], %[[SIN]]) {causal = true, scale = 2.500000e-01 : f32} : (tensor<?x?x4x16xf32>, tensor<?x?x2x16xf32>, tensor<?x?x2x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x?x4x16xf32>
// CHECK-NOT: llmopt.softmax
// CHECK-NOT: llmopt.expand
// CHECK-NOT: llmopt.concat
func.func @llama_form(%q: tensor<?x?x4x16xf32> {llmopt.dim_names = ["batch", "seq"]}, %k: tensor<?x?x2x16xf32> {llmopt.dim_names = ["batch", "seq"]}, %v: tensor<?x?x2x16xf32> {llmopt.dim_names = ["batch", "seq"]}, %cos: tensor<1x1x?x16xf32> {llmopt.dim_names = ["_", "_", "seq"]}, %sin: tensor<1x1x?x16xf32> {llmopt.dim_names = ["_", "_", "seq"]}) -> tensor<?x4x?x16xf32> {
  %masked = llmopt.constant dense<[[[[false, true, true, true], [false, false, true, true], [false, false, false, true], [false, false, false, false]]]]> : tensor<1x1x4x4xi1>
  %min = llmopt.constant dense<-3.40282347E+38> : tensor<f32>
  %c = llmopt.constant dense<4.0> : tensor<f32>
  %pos = llmopt.range {delta = 1.000000e+00 : f64, shape = ["seq"], start = 0.000000e+00 : f64} : tensor<?xi64>
  %me = llmopt.expand %masked {shape = ["batch", 1, 4, 4]} : tensor<1x1x4x4xi1> -> tensor<?x1x4x4xi1>
  %mf = llmopt.cast %me : tensor<?x1x4x4xi1> -> tensor<?x1x4x4xf32>
  %mm = llmopt.mul %mf, %min : (tensor<?x1x4x4xf32>, tensor<f32>) -> tensor<?x1x4x4xf32>
  %ms = llmopt.slice %mm {axes = array<i64: 3>, shape = ["batch", 1, 4, "seq"], starts = [0], steps = array<i64: 1>} : tensor<?x1x4x4xf32> -> tensor<?x1x4x?xf32>
  %mask = llmopt.gather %ms, %pos {axis = 2 : i64} : (tensor<?x1x4x?xf32>, tensor<?xi64>) -> tensor<?x1x?x?xf32>
  %qt = llmopt.transpose %q [0, 2, 1, 3] : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
  %kt = llmopt.transpose %k [0, 2, 1, 3] : tensor<?x?x2x16xf32> -> tensor<?x2x?x16xf32>
  %vt = llmopt.transpose %v [0, 2, 1, 3] : tensor<?x?x2x16xf32> -> tensor<?x2x?x16xf32>
  // q·cos + rotate_half(q)·sin
  %qc = llmopt.mul %qt, %cos : (tensor<?x4x?x16xf32>, tensor<1x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %q1 = llmopt.slice %qt {axes = array<i64: 3>, shape = ["batch", 4, "seq", 8], starts = [0], steps = array<i64: 1>} : tensor<?x4x?x16xf32> -> tensor<?x4x?x8xf32>
  %q2 = llmopt.slice %qt {axes = array<i64: 3>, shape = ["batch", 4, "seq", 8], starts = [8], steps = array<i64: 1>} : tensor<?x4x?x16xf32> -> tensor<?x4x?x8xf32>
  %q2n = llmopt.neg %q2 : tensor<?x4x?x8xf32>
  %qr = llmopt.concat %q2n, %q1 {axis = 3 : i64} : (tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x4x?x16xf32>
  %qs = llmopt.mul %qr, %sin : (tensor<?x4x?x16xf32>, tensor<1x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  %qe = llmopt.add %qc, %qs : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  // the same for k, written sin-first and added the other way round
  %kc = llmopt.mul %cos, %kt : (tensor<1x1x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  %k1 = llmopt.slice %kt {axes = array<i64: 3>, shape = ["batch", 2, "seq", 8], starts = [0], steps = array<i64: 1>} : tensor<?x2x?x16xf32> -> tensor<?x2x?x8xf32>
  %k2 = llmopt.slice %kt {axes = array<i64: 3>, shape = ["batch", 2, "seq", 8], starts = [8], steps = array<i64: 1>} : tensor<?x2x?x16xf32> -> tensor<?x2x?x8xf32>
  %k2n = llmopt.neg %k2 : tensor<?x2x?x8xf32>
  %kr = llmopt.concat %k2n, %k1 {axis = 3 : i64} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x16xf32>
  %ks = llmopt.mul %sin, %kr : (tensor<1x1x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  %ke = llmopt.add %ks, %kc : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  // repeat_kv: 2 kv heads for 4 query heads
  %k5 = llmopt.reshape %ke [0, 2, 1, -1, 16] : tensor<?x2x?x16xf32> -> tensor<?x2x1x?x16xf32>
  %kx = llmopt.expand %k5 {shape = ["batch", 2, 2, "seq", 16]} : tensor<?x2x1x?x16xf32> -> tensor<?x2x2x?x16xf32>
  %kh = llmopt.reshape %kx [0, 4, -1, 16] : tensor<?x2x2x?x16xf32> -> tensor<?x4x?x16xf32>
  %v5 = llmopt.reshape %vt [0, 2, 1, -1, 16] : tensor<?x2x?x16xf32> -> tensor<?x2x1x?x16xf32>
  %vx = llmopt.expand %v5 {shape = ["batch", 2, 2, "seq", 16]} : tensor<?x2x1x?x16xf32> -> tensor<?x2x2x?x16xf32>
  %vh = llmopt.reshape %vx [0, 4, -1, 16] : tensor<?x2x2x?x16xf32> -> tensor<?x4x?x16xf32>
  %kT = llmopt.transpose %kh [0, 1, 3, 2] : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %s = llmopt.matmul %qe, %kT : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d = llmopt.div %s, %c : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %a = llmopt.add %d, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = llmopt.softmax %a {axis = 3 : i64} : tensor<?x4x?x?xf32>
  %o = llmopt.matmul %p, %vh : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %o : tensor<?x4x?x16xf32>
}

// -----

// Newer Hugging Face exports: the causal mask built at run time as triu(fill(min), 1) over
// [seq, seq], added to the scores; a padding mask (1 - attention_mask) · min [B, 1, 1, S] added
// as well. Both are absorbed: causal, and the padding mask as key_bias.
// CHECK-LABEL: func.func @triu_and_padding_masks
// CHECK: %[[B:.*]] = llmopt.reshape %{{.*}} [0, -1] : tensor<?x1x1x?xf32> -> tensor<?x?xf32>
// CHECK: llmopt.attention %arg0, %arg1, %arg2 key_bias(%[[B]]) {causal = true, scale = 1.000000e+00 : f32}
// CHECK-NOT: llmopt.softmax
func.func @triu_and_padding_masks(%q: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %k: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %v: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %am: tensor<?x?xi64> {llmopt.dim_names = ["batch", "seq"]}) -> tensor<?x2x?x8xf32> {
  %one = llmopt.constant dense<1.0> : tensor<f32>
  %min = llmopt.constant dense<-3.40282347E+38> : tensor<f32>
  %full = llmopt.fill {shape = ["seq", "seq"], value = -3.4028234663852886E+38 : f64} : tensor<?x?xf32>
  %causal = llmopt.trilu %full {k = 1 : i64, upper = true} : tensor<?x?xf32>
  %am4 = llmopt.reshape %am [0, 1, 1, -1] : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %amf = llmopt.cast %am4 : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xf32>
  %inv = llmopt.sub %one, %amf : (tensor<f32>, tensor<?x1x1x?xf32>) -> tensor<?x1x1x?xf32>
  %pad = llmopt.mul %inv, %min : (tensor<?x1x1x?xf32>, tensor<f32>) -> tensor<?x1x1x?xf32>
  %qt = llmopt.transpose %q [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %kt = llmopt.transpose %k [0, 2, 3, 1] : tensor<?x?x2x8xf32> -> tensor<?x2x8x?xf32>
  %vt = llmopt.transpose %v [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %s = llmopt.matmul %qt, %kt : (tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32>) -> tensor<?x2x?x?xf32>
  %a1 = llmopt.add %causal, %s : (tensor<?x?xf32>, tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %a2 = llmopt.add %a1, %pad : (tensor<?x2x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x2x?x?xf32>
  %p = llmopt.softmax %a2 {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = llmopt.matmul %p, %vt : (tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// -----

// Near misses: an additive mask that is not causal (the diagonal masked too), and one that
// depends on an input and is per query, not per key. Neither fuses.
// CHECK-LABEL: func.func @not_causal_additive
// CHECK-NOT: llmopt.attention
// CHECK: llmopt.softmax
func.func @not_causal_additive(%q: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %k: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %v: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}) -> tensor<?x2x?x8xf32> {
  %full = llmopt.fill {shape = ["seq", "seq"], value = -3.4028234663852886E+38 : f64} : tensor<?x?xf32>
  %strict = llmopt.trilu %full {k = 0 : i64, upper = true} : tensor<?x?xf32>
  %qt = llmopt.transpose %q [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %kt = llmopt.transpose %k [0, 2, 3, 1] : tensor<?x?x2x8xf32> -> tensor<?x2x8x?xf32>
  %vt = llmopt.transpose %v [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %s = llmopt.matmul %qt, %kt : (tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32>) -> tensor<?x2x?x?xf32>
  %a = llmopt.add %s, %strict : (tensor<?x2x?x?xf32>, tensor<?x?xf32>) -> tensor<?x2x?x?xf32>
  %p = llmopt.softmax %a {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = llmopt.matmul %p, %vt : (tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// CHECK-LABEL: func.func @per_query_mask
// CHECK-NOT: llmopt.attention
// CHECK: llmopt.softmax
func.func @per_query_mask(%q: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %k: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %v: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %m: tensor<?x1x?x1xf32> {llmopt.dim_names = ["batch", "_", "seq"]}) -> tensor<?x2x?x8xf32> {
  %qt = llmopt.transpose %q [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %kt = llmopt.transpose %k [0, 2, 3, 1] : tensor<?x?x2x8xf32> -> tensor<?x2x8x?xf32>
  %vt = llmopt.transpose %v [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %s = llmopt.matmul %qt, %kt : (tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32>) -> tensor<?x2x?x?xf32>
  %a = llmopt.add %s, %m : (tensor<?x2x?x?xf32>, tensor<?x1x?x1xf32>) -> tensor<?x2x?x?xf32>
  %p = llmopt.softmax %a {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = llmopt.matmul %p, %vt : (tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// -----

// RoPE on q only (k not rotated): the fused op rotates both or neither, so this stays unfused.
// CHECK-LABEL: func.func @rope_on_q_only
// CHECK-NOT: llmopt.attention
func.func @rope_on_q_only(%q: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %k: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %v: tensor<?x?x2x8xf32> {llmopt.dim_names = ["batch", "seq"]}, %cos: tensor<?x8xf32> {llmopt.dim_names = ["seq"]}, %sin: tensor<?x8xf32> {llmopt.dim_names = ["seq"]}) -> tensor<?x2x?x8xf32> {
  %qt = llmopt.transpose %q [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %qc = llmopt.mul %qt, %cos : (tensor<?x2x?x8xf32>, tensor<?x8xf32>) -> tensor<?x2x?x8xf32>
  %q1 = llmopt.slice %qt {axes = array<i64: 3>, shape = ["batch", 2, "seq", 4], starts = [0], steps = array<i64: 1>} : tensor<?x2x?x8xf32> -> tensor<?x2x?x4xf32>
  %q2 = llmopt.slice %qt {axes = array<i64: 3>, shape = ["batch", 2, "seq", 4], starts = [4], steps = array<i64: 1>} : tensor<?x2x?x8xf32> -> tensor<?x2x?x4xf32>
  %q2n = llmopt.neg %q2 : tensor<?x2x?x4xf32>
  %qr = llmopt.concat %q2n, %q1 {axis = 3 : i64} : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x8xf32>
  %qs = llmopt.mul %qr, %sin : (tensor<?x2x?x8xf32>, tensor<?x8xf32>) -> tensor<?x2x?x8xf32>
  %qe = llmopt.add %qc, %qs : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %kt = llmopt.transpose %k [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %vt = llmopt.transpose %v [0, 2, 1, 3] : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %kT = llmopt.transpose %kt [0, 1, 3, 2] : tensor<?x2x?x8xf32> -> tensor<?x2x8x?xf32>
  %s = llmopt.matmul %qe, %kT : (tensor<?x2x?x8xf32>, tensor<?x2x8x?xf32>) -> tensor<?x2x?x?xf32>
  %p = llmopt.softmax %s {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = llmopt.matmul %p, %vt : (tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
