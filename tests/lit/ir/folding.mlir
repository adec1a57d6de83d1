// RUN: llmopt-opt %s -split-input-file --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @add_zero
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT: return %[[X]], %[[X]]
func.func @add_zero(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %zero = llmopt.constant dense<0.0> : tensor<f32>
  %zeros = llmopt.constant dense<0.0> : tensor<4xf32>
  %0 = llmopt.add %x, %zero : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %1 = llmopt.add %zeros, %x : (tensor<4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Adding zeros that broadcast x to a bigger shape is not an identity.
// CHECK-LABEL: func.func @add_zero_broadcasting
// CHECK: %[[R:.*]] = llmopt.add
// CHECK-NEXT: return %[[R]]
func.func @add_zero_broadcasting(%x: tensor<4xf32>) -> tensor<3x4xf32> {
  %zeros = llmopt.constant dense<0.0> : tensor<3x4xf32>
  %0 = llmopt.add %x, %zeros : (tensor<4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// CHECK-LABEL: func.func @sub_zero
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK: %[[R:.*]] = llmopt.sub %{{.*}}, %[[X]]
// CHECK-NEXT: return %[[X]], %[[R]]
func.func @sub_zero(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %zero = llmopt.constant dense<0.0> : tensor<f32>
  %0 = llmopt.sub %x, %zero : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  // 0 - x is -x: kept.
  %1 = llmopt.sub %zero, %x : (tensor<f32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @mul_one
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT: return %[[X]], %[[X]]
func.func @mul_one(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %one = llmopt.constant dense<1.0> : tensor<1xf32>
  %0 = llmopt.mul %x, %one : (tensor<?x4xf32>, tensor<1xf32>) -> tensor<?x4xf32>
  %1 = llmopt.mul %one, %x : (tensor<1xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Only an exact 1 is an identity.
// CHECK-LABEL: func.func @mul_not_one
// CHECK: llmopt.mul
func.func @mul_not_one(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %c = llmopt.constant dense<1.5> : tensor<f32>
  %0 = llmopt.mul %x, %c : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @div_one
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK: %[[R:.*]] = llmopt.div %{{.*}}, %[[X]]
// CHECK-NEXT: return %[[X]], %[[R]]
func.func @div_one(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %one = llmopt.constant dense<1.0> : tensor<f32>
  %0 = llmopt.div %x, %one : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  // 1 / x is kept.
  %1 = llmopt.div %one, %x : (tensor<f32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @add_constants
// CHECK-NEXT: %[[C:.*]] = llmopt.constant dense<{{\[}}[1.100000e+01, 2.200000e+01], [1.300000e+01, 2.400000e+01]]> : tensor<2x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @add_constants() -> tensor<2x2xf32> {
  %a = llmopt.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = llmopt.constant dense<[10.0, 20.0]> : tensor<2xf32>
  %0 = llmopt.add %a, %b : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Broadcasting on both sides: [2, 1] (op) [3].
// CHECK-LABEL: func.func @binary_constants
// CHECK-DAG: %[[SUB:.*]] = llmopt.constant dense<{{\[}}[-9.000000e+00, -1.900000e+01, -3.900000e+01], [-8.000000e+00, -1.800000e+01, -3.800000e+01]]> : tensor<2x3xf32>
// CHECK-DAG: %[[MUL:.*]] = llmopt.constant dense<{{\[}}[1.000000e+01, 2.000000e+01, 4.000000e+01], [2.000000e+01, 4.000000e+01, 8.000000e+01]]> : tensor<2x3xf32>
// CHECK-DAG: %[[DIV:.*]] = llmopt.constant dense<{{\[}}[1.000000e-01, 5.000000e-02, 2.500000e-02], [2.000000e-01, 1.000000e-01, 5.000000e-02]]> : tensor<2x3xf32>
// CHECK-NEXT: return %[[SUB]], %[[MUL]], %[[DIV]]
func.func @binary_constants() -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %a = llmopt.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = llmopt.constant dense<[10.0, 20.0, 40.0]> : tensor<3xf32>
  %0 = llmopt.sub %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = llmopt.mul %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = llmopt.div %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_constant
// CHECK-NEXT: %[[C:.*]] = llmopt.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00], [4.000000e+00, 5.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
// CHECK-NEXT: return %[[C]]
func.func @reshape_constant() -> tensor<2x3xf32> {
  %c = llmopt.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]> : tensor<6xf32>
  %0 = llmopt.reshape %c [2, -1] : tensor<6xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// A resource constant is reshaped without copying its blob.
// CHECK-LABEL: func.func @reshape_resource_constant
// CHECK-NEXT: %[[C:.*]] = llmopt.constant dense_resource<w> : tensor<1x4xf32>
// CHECK-NEXT: return %[[C]]
func.func @reshape_resource_constant() -> tensor<1x4xf32> {
  %c = llmopt.constant dense_resource<w> : tensor<4xf32>
  %0 = llmopt.reshape %c [1, 4] : tensor<4xf32> -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// CHECK-LABEL: func.func @reshape_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = llmopt.reshape %x [0, 3] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_identity
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_identity(%x: tensor<?x3x4xf32>) -> tensor<?x3x4xf32> {
  %0 = llmopt.transpose %x [0, 1, 2] : tensor<?x3x4xf32> -> tensor<?x3x4xf32>
  return %0 : tensor<?x3x4xf32>
}

// -----

// transpose(transpose(x, [1, 2, 0]), [0, 2, 1]) = transpose(x, [1, 0, 2]).
// CHECK-LABEL: func.func @transpose_compose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = llmopt.transpose %[[X]] [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_compose(%x: tensor<2x3x4xf32>) -> tensor<3x2x4xf32> {
  %0 = llmopt.transpose %x [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = llmopt.transpose %0 [0, 2, 1] : tensor<3x4x2xf32> -> tensor<3x2x4xf32>
  return %1 : tensor<3x2x4xf32>
}

// -----

// Two transposes that cancel leave nothing.
// CHECK-LABEL: func.func @transpose_cancel
// CHECK-SAME: (%[[X:.*]]: tensor<?x8x16xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_cancel(%x: tensor<?x8x16xf32>) -> tensor<?x8x16xf32> {
  %0 = llmopt.transpose %x [0, 2, 1] : tensor<?x8x16xf32> -> tensor<?x16x8xf32>
  %1 = llmopt.transpose %0 [0, 2, 1] : tensor<?x16x8xf32> -> tensor<?x8x16xf32>
  return %1 : tensor<?x8x16xf32>
}

// -----

// A transposed constant weight is read in place by the backend: not folded.
// CHECK-LABEL: func.func @transpose_constant_kept
// CHECK: %[[C:.*]] = llmopt.constant
// CHECK-NEXT: %[[T:.*]] = llmopt.transpose %[[C]] [1, 0]
// CHECK-NEXT: return %[[T]]
func.func @transpose_constant_kept() -> tensor<2x1xf32> {
  %c = llmopt.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %0 = llmopt.transpose %c [1, 0] : tensor<1x2xf32> -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// -----

// CHECK-LABEL: func.func @relu_relu
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT: %[[R:.*]] = llmopt.relu %[[X]]
// CHECK-NEXT: return %[[R]]
func.func @relu_relu(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = llmopt.relu %x : tensor<?x4xf32>
  %1 = llmopt.relu %0 : tensor<?x4xf32>
  %2 = llmopt.relu %1 : tensor<?x4xf32>
  return %2 : tensor<?x4xf32>
}

// -----

// A folded constant above 64 elements becomes a resource blob instead of inline `dense`.
// CHECK-LABEL: func.func @add_constants_to_blob
// CHECK-NEXT: %[[C:.*]] = llmopt.constant dense_resource<folded> : tensor<8x16xf32>
// CHECK-NEXT: return %[[C]]
// CHECK: folded: "0x04000000{{(00004040)+}}"
func.func @add_constants_to_blob() -> tensor<8x16xf32> {
  %a = llmopt.constant dense<1.0> : tensor<8x16xf32>
  %b = llmopt.constant dense<2.0> : tensor<16xf32>
  %0 = llmopt.add %a, %b : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  return %0 : tensor<8x16xf32>
}
