// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-norms | FileCheck %s
// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-norms=disable=rms-norm | FileCheck %s --check-prefix=OFF
// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-norms=disable=layer-norm | FileCheck %s --check-prefix=LNOFF
// RUN: not llmopt-opt %s -split-input-file --llmopt-fuse-norms=disable=group-norm 2>&1 | FileCheck %s --check-prefix=BADNAME

// BADNAME: llmopt-fuse-norms: unknown fusion 'group-norm' in disable (expected rms-norm or layer-norm)

// Hugging Face LlamaRMSNorm as torch.onnx exports it: Pow(x, 2), ReduceMean(-1, keepdims),
// Add(eps), Sqrt, Div(1, ·), Mul(x, ·), Mul(weight, ·).
// CHECK-LABEL: func.func @llama_rms_norm
// CHECK: %[[W:.*]] = llmopt.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK: %[[N:.*]] = llmopt.rms_norm %arg0, %[[W]] {axis = 2 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK-NEXT: return %[[N]]
// OFF-LABEL: func.func @llama_rms_norm
// OFF: llmopt.reduce_mean
// OFF-NOT: llmopt.rms_norm
// LNOFF-LABEL: func.func @llama_rms_norm
// LNOFF: llmopt.rms_norm
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

// -----

// LayerNorm as torch.onnx exports nn.LayerNorm written out (HF modules): ReduceMean(-1), Sub,
// Pow(d, 2), ReduceMean(-1), Add(eps), Sqrt, Div, then gamma · y (operands swapped) + beta.
// CHECK-LABEL: func.func @torch_layer_norm
// CHECK-DAG: %[[G:.*]] = llmopt.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK-DAG: %[[B:.*]] = llmopt.constant dense<[5.000000e-01, 0.000000e+00, -5.000000e-01, 1.000000e+00]> : tensor<4xf32>
// CHECK: %[[N:.*]] = llmopt.layer_norm %arg0, %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<?x?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK-NEXT: return %[[N]]
// OFF-LABEL: func.func @torch_layer_norm
// OFF: llmopt.layer_norm %arg0
// LNOFF-LABEL: func.func @torch_layer_norm
// LNOFF-NOT: llmopt.layer_norm
// LNOFF: llmopt.div
func.func @torch_layer_norm(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %g = llmopt.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %b = llmopt.constant dense<[0.5, 0.0, -0.5, 1.0]> : tensor<4xf32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : tensor<?x?x4xf32> -> tensor<?x?x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %sq = llmopt.pow %d, %two : (tensor<?x?x4xf32>, tensor<f32>) -> tensor<?x?x4xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 2>, keepdims = true} : tensor<?x?x4xf32> -> tensor<?x?x1xf32>
  %a = llmopt.add %var, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %r = llmopt.sqrt %a : tensor<?x?x1xf32>
  %n = llmopt.div %d, %r : (tensor<?x?x4xf32>, tensor<?x?x1xf32>) -> tensor<?x?x4xf32>
  %s = llmopt.mul %g, %n : (tensor<4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %y = llmopt.add %s, %b : (tensor<?x?x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// d · d, Reciprocal(Sqrt(eps + var)), reciprocal · d, y · gamma, no beta. Before the RMSNorm
// pattern (d · 1/sqrt(mean(d²) + eps) is also rms_norm(d)): with layer-norm disabled, that is
// what it becomes.
// CHECK-LABEL: func.func @reciprocal_layer_norm
// CHECK: %[[G:.*]] = llmopt.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK: %[[N:.*]] = llmopt.layer_norm %arg0, %[[G]] {axis = 1 : i64, epsilon = 9.99999997E-7 : f32} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[N]]
// OFF-LABEL: func.func @reciprocal_layer_norm
// OFF: llmopt.layer_norm %arg0
// LNOFF-LABEL: func.func @reciprocal_layer_norm
// LNOFF-NOT: llmopt.layer_norm
// LNOFF: llmopt.rms_norm
func.func @reciprocal_layer_norm(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %eps = llmopt.constant dense<1.0e-6> : tensor<1xf32>
  %g = llmopt.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %sq = llmopt.mul %d, %d : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %a = llmopt.add %eps, %var : (tensor<1xf32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  %r = llmopt.sqrt %a : tensor<2x1xf32>
  %inv = llmopt.reciprocal %r : tensor<2x1xf32>
  %n = llmopt.mul %inv, %d : (tensor<2x1xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = llmopt.mul %n, %g : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Div(1, Sqrt(·)), the variance from a second x - mean (not merged by CSE), beta and no gamma:
// a scale of ones. The beta is any value (an argument), with a leading 1 reshaped away.
// CHECK-LABEL: func.func @div_one_second_sub
// CHECK-DAG: %[[ONES:.*]] = llmopt.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-DAG: %[[B:.*]] = llmopt.reshape %arg1 [4] : tensor<1x4xf32> -> tensor<4xf32>
// CHECK: %[[N:.*]] = llmopt.layer_norm %arg0, %[[ONES]], %[[B]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32}
// CHECK-NEXT: return %[[N]]
func.func @div_one_second_sub(%x: tensor<?x4xf32>, %b: tensor<1x4xf32>) -> tensor<?x4xf32> {
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %one = llmopt.constant dense<1.0> : tensor<f32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : tensor<?x4xf32> -> tensor<?x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<?x4xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  %d2 = llmopt.sub %x, %mean : (tensor<?x4xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  %sq = llmopt.mul %d2, %d2 : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : tensor<?x4xf32> -> tensor<?x1xf32>
  %a = llmopt.add %var, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %r = llmopt.sqrt %a : tensor<?x1xf32>
  %inv = llmopt.div %one, %r : (tensor<f32>, tensor<?x1xf32>) -> tensor<?x1xf32>
  %n = llmopt.mul %d, %inv : (tensor<?x4xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  %y = llmopt.add %b, %n : (tensor<1x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// Over the two trailing axes, no gamma and no beta; a gamma given as an argument, with a leading 1.
// CHECK-LABEL: func.func @two_axes_no_affine
// CHECK: %[[ONES:.*]] = llmopt.constant dense<1.000000e+00> : tensor<3x4xf32>
// CHECK: %[[N:.*]] = llmopt.layer_norm %arg0, %[[ONES]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: return %[[N]]
// CHECK-LABEL: func.func @gamma_argument
// CHECK: %[[G:.*]] = llmopt.reshape %arg1 [3, 4] : tensor<1x3x4xf32> -> tensor<3x4xf32>
// CHECK: %[[N:.*]] = llmopt.layer_norm %arg0, %[[G]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: return %[[N]]
func.func @two_axes_no_affine(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 1, 2>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  %sq = llmopt.pow %d, %two : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1, 2>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  %a = llmopt.add %var, %eps : (tensor<2x1x1xf32>, tensor<f32>) -> tensor<2x1x1xf32>
  %r = llmopt.sqrt %a : tensor<2x1x1xf32>
  %y = llmopt.div %d, %r : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}
func.func @gamma_argument(%x: tensor<2x3x4xf32>, %g: tensor<1x3x4xf32>) -> tensor<2x3x4xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 1, 2>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  %sq = llmopt.pow %d, %two : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1, 2>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  %a = llmopt.add %var, %eps : (tensor<2x1x1xf32>, tensor<f32>) -> tensor<2x1x1xf32>
  %r = llmopt.sqrt %a : tensor<2x1x1xf32>
  %n = llmopt.div %d, %r : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  %y = llmopt.mul %n, %g : (tensor<2x3x4xf32>, tensor<1x3x4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// keras (tf.nn.batch_normalization): x · a + (beta - mean · a), a = reciprocal(sqrt(var + eps))
// · gamma; the variance from its own x - mean (tf2onnx's SquaredDifference). And without gamma.
// CHECK-LABEL: func.func @keras_layer_norm
// CHECK-DAG: %[[G:.*]] = llmopt.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK-DAG: %[[B:.*]] = llmopt.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK: %[[N:.*]] = llmopt.layer_norm %arg0, %[[G]], %[[B]] {axis = 1 : i64, epsilon = 1.000000e-03 : f32} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[N]]
// CHECK-LABEL: func.func @keras_no_gamma
// CHECK: %[[ONES:.*]] = llmopt.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK: %[[N:.*]] = llmopt.layer_norm %arg0, %[[ONES]], %arg1 {axis = 1 : i64, epsilon = 1.000000e-03 : f32}
// CHECK-NEXT: return %[[N]]
// LNOFF-LABEL: func.func @keras_layer_norm
// LNOFF-NOT: llmopt.layer_norm
// LNOFF: return
func.func @keras_layer_norm(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %eps = llmopt.constant dense<1.0e-3> : tensor<f32>
  %g = llmopt.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %b = llmopt.constant dense<[0.1, 0.2, 0.3]> : tensor<3xf32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %sq = llmopt.mul %d, %d : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %v = llmopt.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = llmopt.sqrt %v : tensor<2x1xf32>
  %inv = llmopt.reciprocal %r : tensor<2x1xf32>
  %a = llmopt.mul %inv, %g : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %xa = llmopt.mul %x, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %ma = llmopt.mul %a, %mean : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %shift = llmopt.sub %b, %ma : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = llmopt.add %shift, %xa : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
func.func @keras_no_gamma(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %eps = llmopt.constant dense<1.0e-3> : tensor<f32>
  %one = llmopt.constant dense<1.0> : tensor<f32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %sq = llmopt.mul %d, %d : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %v = llmopt.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = llmopt.sqrt %v : tensor<2x1xf32>
  %a = llmopt.div %one, %r : (tensor<f32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  %xa = llmopt.mul %a, %x : (tensor<2x1xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %ma = llmopt.mul %mean, %a : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  %shift = llmopt.sub %b, %ma : (tensor<3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %y = llmopt.add %xa, %shift : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// A gamma that is not of the normalised dims' shape ([3, 4] while only the last axis is
// normalised) stays a product after the layer_norm.
// CHECK-LABEL: func.func @gamma_wrong_shape
// CHECK: %[[N:.*]] = llmopt.layer_norm %arg0, %{{.*}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %[[Y:.*]] = llmopt.mul %[[N]], %arg1
// CHECK-NEXT: return %[[Y]]
func.func @gamma_wrong_shape(%x: tensor<2x3x4xf32>, %g: tensor<3x4xf32>) -> tensor<2x3x4xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %sq = llmopt.pow %d, %two : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 2>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %a = llmopt.add %var, %eps : (tensor<2x3x1xf32>, tensor<f32>) -> tensor<2x3x1xf32>
  %r = llmopt.sqrt %a : tensor<2x3x1xf32>
  %n = llmopt.div %d, %r : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %y = llmopt.mul %n, %g : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// LayerNorm near misses, none fused: the means over a leading axis; eps not a constant; the
// mean over another axis than the variance; x minus the mean of another tensor; no keepdims.
// CHECK-LABEL: func.func @ln_wrong_axis
// CHECK-NOT: llmopt.layer_norm
// CHECK: return
func.func @ln_wrong_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 0>, keepdims = true} : tensor<2x3xf32> -> tensor<1x3xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %sq = llmopt.pow %d, %two : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 0>, keepdims = true} : tensor<2x3xf32> -> tensor<1x3xf32>
  %a = llmopt.add %var, %eps : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>
  %r = llmopt.sqrt %a : tensor<1x3xf32>
  %y = llmopt.div %d, %r : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @ln_eps_not_constant
// CHECK-NOT: llmopt.layer_norm
// CHECK: return
func.func @ln_eps_not_constant(%x: tensor<2x3xf32>, %eps: tensor<f32>) -> tensor<2x3xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %sq = llmopt.pow %d, %two : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %a = llmopt.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = llmopt.sqrt %a : tensor<2x1xf32>
  %y = llmopt.div %d, %r : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @ln_variance_other_axes
// CHECK-NOT: llmopt.layer_norm
// CHECK: return
func.func @ln_variance_other_axes(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
  %sq = llmopt.pow %d, %two : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3x4xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1, 2>, keepdims = true} : tensor<2x3x4xf32> -> tensor<2x1x1xf32>
  %a = llmopt.add %var, %eps : (tensor<2x1x1xf32>, tensor<f32>) -> tensor<2x1x1xf32>
  %r = llmopt.sqrt %a : tensor<2x1x1xf32>
  %y = llmopt.div %d, %r : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func @ln_mean_of_other
// CHECK-NOT: llmopt.layer_norm
// CHECK: return
func.func @ln_mean_of_other(%x: tensor<2x3xf32>, %z: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %mean = llmopt.reduce_mean %z {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %sq = llmopt.pow %d, %two : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %a = llmopt.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = llmopt.sqrt %a : tensor<2x1xf32>
  %y = llmopt.div %d, %r : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
// The variance of x - mean(z) while the output divides x - mean(x): two different subs.
// CHECK-LABEL: func.func @ln_variance_of_other_sub
// CHECK-NOT: llmopt.layer_norm
// CHECK: return
func.func @ln_variance_of_other_sub(%x: tensor<2x3xf32>, %z: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %meanz = llmopt.reduce_mean %z {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %d = llmopt.sub %x, %mean : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %dz = llmopt.sub %x, %meanz : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  %sq = llmopt.pow %dz, %two : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : tensor<2x3xf32> -> tensor<2x1xf32>
  %a = llmopt.add %var, %eps : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %r = llmopt.sqrt %a : tensor<2x1xf32>
  %y = llmopt.div %d, %r : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @ln_no_keepdims
// CHECK-NOT: llmopt.layer_norm
// CHECK: return
func.func @ln_no_keepdims(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %eps = llmopt.constant dense<1.0e-5> : tensor<f32>
  %mean = llmopt.reduce_mean %x {axes = array<i64: 1>, keepdims = false} : tensor<3x3xf32> -> tensor<3xf32>
  %d = llmopt.sub %x, %mean : (tensor<3x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  %sq = llmopt.pow %d, %two : (tensor<3x3xf32>, tensor<f32>) -> tensor<3x3xf32>
  %var = llmopt.reduce_mean %sq {axes = array<i64: 1>, keepdims = false} : tensor<3x3xf32> -> tensor<3xf32>
  %a = llmopt.add %var, %eps : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %r = llmopt.sqrt %a : tensor<3xf32>
  %y = llmopt.div %d, %r : (tensor<3x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return %y : tensor<3x3xf32>
}
