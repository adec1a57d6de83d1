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
func.func @charlm_form(%q: tensor<?x?x2x8xf32>, %k: tensor<?x?x2x8xf32>, %v: tensor<?x?x2x8xf32>) -> tensor<?x?x2x8xf32> {
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
func.func @gpt2_form(%q: tensor<?x?x4x16xf32>, %k: tensor<?x?x4x16xf32>, %v: tensor<?x?x4x16xf32>) -> tensor<?x4x?x16xf32> {
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
func.func @near_misses(%q: tensor<?x?x2x8xf32>, %k: tensor<?x?x2x8xf32>, %v: tensor<?x?x2x8xf32>) -> (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>) {
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
