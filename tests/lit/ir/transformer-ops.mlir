// RUN: llmopt-opt %s | llmopt-opt | FileCheck %s
// RUN: llmopt-opt %s --mlir-print-op-generic | llmopt-opt | FileCheck %s

// The ops transformer exports need: math, comparisons and logic, reductions, layer_norm, index
// ops, and the ops whose result shape is symbolic (`shape` names the model's symbols).

// CHECK-LABEL: func.func @math
func.func @math(%x: tensor<?x8xf32>, %i: tensor<?x8xi64>, %b: tensor<?x8xi1>) -> (tensor<?x8xf32>, tensor<?x8xi1>, tensor<?x8xi64>) {
  // CHECK: llmopt.pow %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %0 = llmopt.pow %x, %two : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  // CHECK: llmopt.erf %{{.*}} : tensor<?x8xf32>
  %1 = llmopt.erf %0 : tensor<?x8xf32>
  %2 = llmopt.sqrt %1 : tensor<?x8xf32>
  %3 = llmopt.clip %2 {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32} : tensor<?x8xf32>
  // CHECK: llmopt.less %{{.*}}, %{{.*}} : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xi1>
  %4 = llmopt.less %3, %two : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xi1>
  %5 = llmopt.and %4, %b : (tensor<?x8xi1>, tensor<?x8xi1>) -> tensor<?x8xi1>
  %6 = llmopt.not %5 : tensor<?x8xi1>
  // CHECK: llmopt.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x8xi1>, tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %7 = llmopt.where %6, %3, %two : (tensor<?x8xi1>, tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  // CHECK: llmopt.neg %{{.*}} : tensor<?x8xi64>
  %8 = llmopt.neg %i : tensor<?x8xi64>
  // CHECK: llmopt.cast %{{.*}} : tensor<?x8xi1> -> tensor<?x8xi64>
  %9 = llmopt.cast %6 : tensor<?x8xi1> -> tensor<?x8xi64>
  %10 = llmopt.add %8, %9 : (tensor<?x8xi64>, tensor<?x8xi64>) -> tensor<?x8xi64>
  return %7, %6, %10 : tensor<?x8xf32>, tensor<?x8xi1>, tensor<?x8xi64>
}

// CHECK-LABEL: func.func @norms
func.func @norms(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x1xf32>, tensor<?x64xf32>) {
  // CHECK: llmopt.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {axis = 2 : i64, epsilon = 9.99999974E-6 : f32}
  %0 = llmopt.layer_norm %x, %g, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  // CHECK: llmopt.reduce_mean %{{.*}} {axes = array<i64: 2>, keepdims = true} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %1 = llmopt.reduce_mean %0 {axes = array<i64: 2>, keepdims = true} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  // CHECK: llmopt.reduce_max %{{.*}} {axes = array<i64: 1>, keepdims = false} : tensor<?x?x64xf32> -> tensor<?x64xf32>
  %2 = llmopt.reduce_max %0 {axes = array<i64: 1>, keepdims = false} : tensor<?x?x64xf32> -> tensor<?x64xf32>
  return %0, %1, %2 : tensor<?x?x64xf32>, tensor<?x?x1xf32>, tensor<?x64xf32>
}

// CHECK-LABEL: func.func @indexing
func.func @indexing(%ids: tensor<?x?xi64>, %table: tensor<256x64xf32>, %mask: tensor<1x1x64x64xi1>) -> (tensor<?x?x128xf32>, tensor<1x1x?x?xi1>, tensor<?x1x?x64xf32>) {
  // CHECK: llmopt.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<256x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  %0 = llmopt.gather %table, %ids {axis = 0 : i64} : (tensor<256x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  // CHECK: llmopt.concat %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x128xf32>
  %1 = llmopt.concat %0, %0 {axis = 2 : i64} : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x128xf32>
  // CHECK: llmopt.slice %{{.*}} {axes = array<i64: 2, 3>, shape = [1, 1, "seq", "seq"], starts = [0, 0], steps = array<i64: 1, 1>}
  %2 = llmopt.slice %mask {axes = array<i64: 2, 3>, shape = [1, 1, "seq", "seq"], starts = [0, 0], steps = array<i64: 1, 1>} : tensor<1x1x64x64xi1> -> tensor<1x1x?x?xi1>
  // CHECK: llmopt.trilu %{{.*}} {k = 0 : i64, upper = false} : tensor<1x1x?x?xi1>
  %3 = llmopt.trilu %2 {k = 0 : i64, upper = false} : tensor<1x1x?x?xi1>
  // CHECK: llmopt.reshape_to %{{.*}} {shape = ["batch", 1, "seq", 64]} : tensor<?x?x64xf32> -> tensor<?x1x?x64xf32>
  %4 = llmopt.reshape_to %0 {shape = ["batch", 1, "seq", 64]} : tensor<?x?x64xf32> -> tensor<?x1x?x64xf32>
  return %1, %3, %4 : tensor<?x?x128xf32>, tensor<1x1x?x?xi1>, tensor<?x1x?x64xf32>
}

// CHECK-LABEL: func.func @symbolic_shapes
func.func @symbolic_shapes(%x: tensor<1x?xi64>) -> (tensor<?xi64>, tensor<?x?xf32>, tensor<?x?xi64>) {
  // CHECK: llmopt.range {delta = 1.000000e+00 : f64, shape = ["seq"], start = 0.000000e+00 : f64} : tensor<?xi64>
  %0 = llmopt.range {delta = 1.0 : f64, shape = ["seq"], start = 0.0 : f64} : tensor<?xi64>
  // CHECK: llmopt.fill {shape = ["seq", "seq"], value = 0.000000e+00 : f64} : tensor<?x?xf32>
  %1 = llmopt.fill {shape = ["seq", "seq"], value = 0.0 : f64} : tensor<?x?xf32>
  // CHECK: llmopt.expand %{{.*}} {shape = ["batch", "seq"]} : tensor<1x?xi64> -> tensor<?x?xi64>
  %2 = llmopt.expand %x {shape = ["batch", "seq"]} : tensor<1x?xi64> -> tensor<?x?xi64>
  return %0, %1, %2 : tensor<?xi64>, tensor<?x?xf32>, tensor<?x?xi64>
}
