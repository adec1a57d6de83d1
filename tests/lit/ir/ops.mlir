// RUN: llmopt-opt %s | llmopt-opt | FileCheck %s
// RUN: llmopt-opt %s --mlir-print-op-generic | llmopt-opt | FileCheck %s

// Every op prints in its custom form and parses back to the same thing; dynamic dims (`?`)
// stand for the model's symbols.

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2x2xf32>, tensor<f32>, tensor<3xi64>, tensor<2xf16>, tensor<2xf32>) {
  // CHECK: llmopt.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
  %0 = llmopt.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  // CHECK: llmopt.constant dense<5.000000e-01> : tensor<f32>
  %1 = llmopt.constant dense<0.5> : tensor<f32>
  // CHECK: llmopt.constant dense<[0, -1, 8]> : tensor<3xi64>
  %2 = llmopt.constant dense<[0, -1, 8]> : tensor<3xi64>
  // CHECK: llmopt.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf16>
  %3 = llmopt.constant dense<[1.0, 2.0]> : tensor<2xf16>
  // CHECK: llmopt.constant dense_resource<weights> : tensor<2xf32>
  %4 = llmopt.constant dense_resource<weights> : tensor<2xf32>
  return %0, %1, %2, %3, %4 : tensor<2x2xf32>, tensor<f32>, tensor<3xi64>, tensor<2xf16>, tensor<2xf32>
}

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x16xf32>, %[[W:.*]]: tensor<32x16xf32>, %[[B:.*]]: tensor<32xf32>)
func.func @linear(%x: tensor<?x?x16xf32>, %w: tensor<32x16xf32>, %b: tensor<32xf32>)
    -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>) {
  // CHECK: llmopt.linear %[[X]], %[[W]], %[[B]] : (tensor<?x?x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  %0 = llmopt.linear %x, %w, %b : (tensor<?x?x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  // CHECK: llmopt.linear %[[X]], %[[W]] : (tensor<?x?x16xf32>, tensor<32x16xf32>) -> tensor<?x?x32xf32>
  %1 = llmopt.linear %x, %w : (tensor<?x?x16xf32>, tensor<32x16xf32>) -> tensor<?x?x32xf32>
  return %0, %1 : tensor<?x?x32xf32>, tensor<?x?x32xf32>
}

// CHECK-LABEL: func.func @linear_bf16
func.func @linear_bf16(%x: tensor<?x8xbf16>, %w: tensor<4x8xbf16>) -> tensor<?x4xbf16> {
  // CHECK: llmopt.linear %{{.*}}, %{{.*}} : (tensor<?x8xbf16>, tensor<4x8xbf16>) -> tensor<?x4xbf16>
  %0 = llmopt.linear %x, %w : (tensor<?x8xbf16>, tensor<4x8xbf16>) -> tensor<?x4xbf16>
  return %0 : tensor<?x4xbf16>
}

// CHECK-LABEL: func.func @matmul
func.func @matmul(%a: tensor<?x?x8x16xf32>, %b: tensor<?x16x4xf32>, %v: tensor<16xf32>, %m: tensor<16x4xf32>)
    -> (tensor<?x?x8x4xf32>, tensor<4xf32>, tensor<?x?x8xf32>) {
  // CHECK: llmopt.matmul %{{.*}}, %{{.*}} : (tensor<?x?x8x16xf32>, tensor<?x16x4xf32>) -> tensor<?x?x8x4xf32>
  %0 = llmopt.matmul %a, %b : (tensor<?x?x8x16xf32>, tensor<?x16x4xf32>) -> tensor<?x?x8x4xf32>
  // CHECK: llmopt.matmul %{{.*}}, %{{.*}} : (tensor<16xf32>, tensor<16x4xf32>) -> tensor<4xf32>
  %1 = llmopt.matmul %v, %m : (tensor<16xf32>, tensor<16x4xf32>) -> tensor<4xf32>
  // CHECK: llmopt.matmul %{{.*}}, %{{.*}} : (tensor<?x?x8x16xf32>, tensor<16xf32>) -> tensor<?x?x8xf32>
  %2 = llmopt.matmul %a, %v : (tensor<?x?x8x16xf32>, tensor<16xf32>) -> tensor<?x?x8xf32>
  return %0, %1, %2 : tensor<?x?x8x4xf32>, tensor<4xf32>, tensor<?x?x8xf32>
}

// CHECK-LABEL: func.func @binary
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[R:.*]]: tensor<4xf32>, %[[C:.*]]: tensor<?x1xf32>, %[[S:.*]]: tensor<f32>)
func.func @binary(%x: tensor<?x4xf32>, %row: tensor<4xf32>, %col: tensor<?x1xf32>, %s: tensor<f32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  // CHECK: llmopt.add %[[X]], %[[R]] : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %0 = llmopt.add %x, %row : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  // CHECK: llmopt.sub %[[C]], %[[X]] : (tensor<?x1xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %1 = llmopt.sub %col, %x : (tensor<?x1xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  // CHECK: llmopt.mul %[[X]], %[[S]] : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %2 = llmopt.mul %x, %s : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  // CHECK: llmopt.div %[[S]], %[[X]] : (tensor<f32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %3 = llmopt.div %s, %x : (tensor<f32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %1, %2, %3 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// CHECK-LABEL: func.func @broadcast_dynamic
func.func @broadcast_dynamic(%a: tensor<?x1x?xf32>, %b: tensor<3x?x5xf32>) -> tensor<3x?x5xf32> {
  // CHECK: llmopt.add %{{.*}}, %{{.*}} : (tensor<?x1x?xf32>, tensor<3x?x5xf32>) -> tensor<3x?x5xf32>
  %0 = llmopt.add %a, %b : (tensor<?x1x?xf32>, tensor<3x?x5xf32>) -> tensor<3x?x5xf32>
  return %0 : tensor<3x?x5xf32>
}

// CHECK-LABEL: func.func @unary
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>)
func.func @unary(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  // CHECK: %[[A:.*]] = llmopt.relu %[[X]] : tensor<?x?x8xf32>
  %0 = llmopt.relu %x : tensor<?x?x8xf32>
  // CHECK: %[[B:.*]] = llmopt.tanh %[[A]] : tensor<?x?x8xf32>
  %1 = llmopt.tanh %0 : tensor<?x?x8xf32>
  // CHECK: %[[C:.*]] = llmopt.sigmoid %[[B]] : tensor<?x?x8xf32>
  %2 = llmopt.sigmoid %1 : tensor<?x?x8xf32>
  // The default `approximate = "none"` is elided.
  // CHECK: %[[D:.*]] = llmopt.gelu %[[C]] : tensor<?x?x8xf32>
  %3 = llmopt.gelu %2 : tensor<?x?x8xf32>
  // CHECK: %[[E:.*]] = llmopt.gelu %[[D]] {approximate = "tanh"} : tensor<?x?x8xf32>
  %4 = llmopt.gelu %3 {approximate = "tanh"} : tensor<?x?x8xf32>
  // CHECK: %[[F:.*]] = llmopt.softmax %[[E]] {axis = 2 : i64} : tensor<?x?x8xf32>
  %5 = llmopt.softmax %4 {axis = 2 : i64} : tensor<?x?x8xf32>
  // CHECK: llmopt.softmax %[[F]] {axis = 0 : i64} : tensor<?x?x8xf32>
  %6 = llmopt.softmax %5 {axis = 0 : i64} : tensor<?x?x8xf32>
  return %6 : tensor<?x?x8xf32>
}

// CHECK-LABEL: func.func @reshape
func.func @reshape(%x: tensor<?x?x256xf32>, %y: tensor<2x3x4xf32>, %i: tensor<6xi64>)
    -> (tensor<?x?x8x32xf32>, tensor<?x256xf32>, tensor<6x4xf32>, tensor<2x12xf32>, tensor<2x3xi64>, tensor<1x24xf32>) {
  // CHECK: llmopt.reshape %{{.*}} [0, 0, 8, 32] : tensor<?x?x256xf32> -> tensor<?x?x8x32xf32>
  %0 = llmopt.reshape %x [0, 0, 8, 32] : tensor<?x?x256xf32> -> tensor<?x?x8x32xf32>
  // CHECK: llmopt.reshape %{{.*}} [-1, 256] : tensor<?x?x256xf32> -> tensor<?x256xf32>
  %1 = llmopt.reshape %x [-1, 256] : tensor<?x?x256xf32> -> tensor<?x256xf32>
  // CHECK: llmopt.reshape %{{.*}} [-1, 4] : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %2 = llmopt.reshape %y [-1, 4] : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: llmopt.reshape %{{.*}} [0, -1] : tensor<2x3x4xf32> -> tensor<2x12xf32>
  %3 = llmopt.reshape %y [0, -1] : tensor<2x3x4xf32> -> tensor<2x12xf32>
  // Reshape is not limited to floats: shape tensors are int64.
  // CHECK: llmopt.reshape %{{.*}} [2, 3] : tensor<6xi64> -> tensor<2x3xi64>
  %4 = llmopt.reshape %i [2, 3] : tensor<6xi64> -> tensor<2x3xi64>
  // CHECK: llmopt.reshape %{{.*}} [1, 24] : tensor<2x3x4xf32> -> tensor<1x24xf32>
  %5 = llmopt.reshape %y [1, 24] : tensor<2x3x4xf32> -> tensor<1x24xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<?x?x8x32xf32>, tensor<?x256xf32>, tensor<6x4xf32>, tensor<2x12xf32>, tensor<2x3xi64>, tensor<1x24xf32>
}

// CHECK-LABEL: func.func @reshape_scalar
func.func @reshape_scalar(%s: tensor<1x1xf32>) -> tensor<f32> {
  // CHECK: llmopt.reshape %{{.*}} [] : tensor<1x1xf32> -> tensor<f32>
  %0 = llmopt.reshape %s [] : tensor<1x1xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// CHECK-LABEL: func.func @transpose
func.func @transpose(%x: tensor<?x?x8x32xf32>, %w: tensor<32x16xf32>)
    -> (tensor<?x8x?x32xf32>, tensor<16x32xf32>) {
  // CHECK: llmopt.transpose %{{.*}} [0, 2, 1, 3] : tensor<?x?x8x32xf32> -> tensor<?x8x?x32xf32>
  %0 = llmopt.transpose %x [0, 2, 1, 3] : tensor<?x?x8x32xf32> -> tensor<?x8x?x32xf32>
  // CHECK: llmopt.transpose %{{.*}} [1, 0] : tensor<32x16xf32> -> tensor<16x32xf32>
  %1 = llmopt.transpose %w [1, 0] : tensor<32x16xf32> -> tensor<16x32xf32>
  return %0, %1 : tensor<?x8x?x32xf32>, tensor<16x32xf32>
}

{-#
  dialect_resources: {
    builtin: {
      weights: "0x040000000000803F00000040"
    }
  }
#-}
