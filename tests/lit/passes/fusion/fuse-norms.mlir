// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-norms | FileCheck %s
// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-norms=disable=rms-norm | FileCheck %s --check-prefix=OFF
// RUN: not llmopt-opt %s -split-input-file --llmopt-fuse-norms=disable=layer-norm 2>&1 | FileCheck %s --check-prefix=BADNAME

// BADNAME: llmopt-fuse-norms: unknown fusion 'layer-norm' in disable (expected rms-norm)

// Hugging Face LlamaRMSNorm as torch.onnx exports it: Pow(x, 2), ReduceMean(-1, keepdims),
// Add(eps), Sqrt, Div(1, ·), Mul(x, ·), Mul(weight, ·).
// CHECK-LABEL: func.func @llama_rms_norm
// CHECK: %[[W:.*]] = llmopt.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK: %[[N:.*]] = llmopt.rms_norm %arg0, %[[W]] {axis = 2 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK-NEXT: return %[[N]]
// OFF-LABEL: func.func @llama_rms_norm
// OFF: llmopt.reduce_mean
// OFF-NOT: llmopt.rms_norm
func.func @llama_rms_norm(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-6> : tensor<f32>
  %one = llmopt.constant dense<1.0> : tensor<f32>
  %w = llmopt.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %sq = llmopt.pow %x, %two : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xf32>
  %mean = llmopt.reduce_mean %sq {axes = array<i64: 2>, keepdims = true} : tensor<?x?x4xf32> -> tensor<?x?x1xf32>
  %a = llmopt.add %mean, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %r = llmopt.sqrt %a : tensor<?x?x1xf32>
  %inv = llmopt.div %one, %r : (tensor<f32>, tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %n = llmopt.mul %x, %inv : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %y = llmopt.mul %w, %n : (tensor<4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// x · x, Reciprocal, the operands swapped, and no weight: a weight of ones.
// CHECK-LABEL: func.func @no_weight
// CHECK: %[[ONES:.*]] = llmopt.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK: llmopt.rms_norm %arg0, %[[ONES]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32}
func.func @no_weight(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %sq = llmopt.mul %x, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %mean = llmopt.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %a = llmopt.add %eps, %mean : (tensor<f32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  %r = llmopt.sqrt %a : tensor<2x1xf32>
  %inv = llmopt.reciprocal %r : tensor<2x1xf32>
  %y = llmopt.mul %inv, %x : (tensor<2x1xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Near misses: the mean over another axis, and x³.
// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: llmopt.rms_norm
// CHECK: return
func.func @near_misses(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %three = llmopt.constant dense<3.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %one = llmopt.constant dense<1.0> : tensor<f32>
  %sq = llmopt.pow %x, %two : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %mean0 = llmopt.reduce_mean %sq {axes = array<i64: 0>, keepdims = true} : tensor<2x3xf32> -> tensor<1x3xf32>
  %a0 = llmopt.add %mean0, %eps : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>
  %r0 = llmopt.sqrt %a0 : tensor<1x3xf32>
  %inv0 = llmopt.div %one, %r0 : (tensor<f32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  %y0 = llmopt.mul %x, %inv0 : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %cube = llmopt.pow %x, %three : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %mean1 = llmopt.reduce_mean %cube {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %a1 = llmopt.add %mean1, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r1 = llmopt.sqrt %a1 : tensor<2x1xf32>
  %inv1 = llmopt.div %one, %r1 : (tensor<f32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  %y1 = llmopt.mul %x, %inv1 : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return %y0, %y1 : tensor<2x3xf32>, tensor<2x3xf32>
}
