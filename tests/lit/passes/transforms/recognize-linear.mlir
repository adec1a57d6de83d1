// RUN: llmopt-opt %s -split-input-file --llmopt-recognize-linear | FileCheck %s
// RUN: llmopt-opt %s -split-input-file --llmopt-recognize-linear --canonicalize | FileCheck %s --check-prefix=CANON
// RUN: llmopt-opt %s -split-input-file --llmopt-recognize-linear=fold-bias=false | FileCheck %s --check-prefix=NOBIAS
// RUN: llmopt-opt %s -split-input-file --llmopt-recognize-linear=min-features=8 | FileCheck %s --check-prefix=MIN8

// MatMul(x, W) as PyTorch exports it: W is [K, N]; the linear reads it through a transpose.
// CHECK-LABEL: func.func @matmul_constant_kn
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK: %[[W:.*]] = llmopt.constant dense_resource<w> : tensor<4x8xf32>
// CHECK-NEXT: %[[WT:.*]] = llmopt.transpose %[[W]] [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK-NEXT: %[[Y:.*]] = llmopt.linear %[[X]], %[[WT]] : (tensor<?x4xf32>, tensor<8x4xf32>) -> tensor<?x8xf32>
// CHECK-NEXT: return %[[Y]]
// The transpose of a constant weight survives canonicalize: the backend packs it in place.
// CANON-LABEL: func.func @matmul_constant_kn
// CANON: llmopt.transpose
// CANON-NEXT: llmopt.linear
// 4 input features < 8.
// MIN8-LABEL: func.func @matmul_constant_kn
// MIN8-NEXT: llmopt.constant
// MIN8-NEXT: llmopt.matmul
// MIN8-NEXT: return
func.func @matmul_constant_kn(%x: tensor<?x4xf32>) -> tensor<?x8xf32> {
  %w = llmopt.constant dense_resource<w> : tensor<4x8xf32>
  %0 = llmopt.matmul %x, %w : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x0400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}

// -----

// Batched activations against a constant matrix: still one linear.
// CHECK-LABEL: func.func @matmul_batched_input
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x2xf32>)
// CHECK: %[[W:.*]] = llmopt.constant
// CHECK-NEXT: %[[WT:.*]] = llmopt.transpose %[[W]] [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK-NEXT: llmopt.linear %[[X]], %[[WT]] : (tensor<?x?x2xf32>, tensor<3x2xf32>) -> tensor<?x?x3xf32>
func.func @matmul_batched_input(%x: tensor<?x?x2xf32>) -> tensor<?x?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = llmopt.matmul %x, %w : (tensor<?x?x2xf32>, tensor<2x3xf32>) -> tensor<?x?x3xf32>
  return %0 : tensor<?x?x3xf32>
}

// -----

// Gemm(transB = 1): matmul(x, transpose(C)) uses the [N, K] constant C directly.
// CHECK-LABEL: func.func @matmul_transposed_constant
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CHECK-NEXT: %[[W:.*]] = llmopt.constant dense<{{.*}}> : tensor<3x2xf32>
// CHECK-NEXT: %[[Y:.*]] = llmopt.linear %[[X]], %[[W]] : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @matmul_transposed_constant(%x: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %t = llmopt.transpose %w [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>
  %0 = llmopt.matmul %x, %t : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @bias_rhs
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CHECK-DAG: %[[W:.*]] = llmopt.constant dense<{{.*}}> : tensor<3x2xf32>
// CHECK-DAG: %[[B:.*]] = llmopt.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK-NEXT: %[[Y:.*]] = llmopt.linear %[[X]], %[[W]], %[[B]] : (tensor<?x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: return %[[Y]]
// fold-bias=false: the linear and the add stay apart.
// NOBIAS-LABEL: func.func @bias_rhs
// NOBIAS: %[[L:.*]] = llmopt.linear %{{.*}}, %{{[^,]*}} : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
// NOBIAS-NEXT: %[[Y:.*]] = llmopt.add %[[L]], %{{.*}} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// NOBIAS-NEXT: return %[[Y]]
func.func @bias_rhs(%x: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %b = llmopt.constant dense<[0.1, 0.2, 0.3]> : tensor<3xf32>
  %t = llmopt.transpose %w [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>
  %0 = llmopt.matmul %x, %t : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %1 = llmopt.add %0, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// The bias on the left of the add.
// CHECK-LABEL: func.func @bias_lhs
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CHECK-DAG: %[[B:.*]] = llmopt.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK-DAG: %[[W:.*]] = llmopt.constant dense<{{.*}}> : tensor<2x3xf32>
// CHECK-NEXT: %[[WT:.*]] = llmopt.transpose %[[W]] [1, 0]
// CHECK-NEXT: %[[Y:.*]] = llmopt.linear %[[X]], %[[WT]], %[[B]] : (tensor<?x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: return %[[Y]]
// NOBIAS-LABEL: func.func @bias_lhs
// NOBIAS: %[[L:.*]] = llmopt.linear %{{.*}}, %{{[^,]*}} : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
// NOBIAS-NEXT: llmopt.add %{{.*}}, %[[L]] : (tensor<3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
func.func @bias_lhs(%x: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = llmopt.constant dense<[0.1, 0.2, 0.3]> : tensor<3xf32>
  %0 = llmopt.matmul %x, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %1 = llmopt.add %b, %0 : (tensor<3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// A [1, N] bias (Gemm's C as exporters often write it) is reshaped to [N]; the reshape of the
// constant folds at once (the greedy rewrite folds as it goes).
// CHECK-LABEL: func.func @bias_row
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CHECK-DAG: %[[B:.*]] = llmopt.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK-DAG: %[[W:.*]] = llmopt.constant dense<{{.*}}> : tensor<2x3xf32>
// CHECK-NEXT: %[[WT:.*]] = llmopt.transpose %[[W]] [1, 0]
// CHECK-NEXT: %[[Y:.*]] = llmopt.linear %[[X]], %[[WT]], %[[B]] : (tensor<?x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @bias_row(%x: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = llmopt.constant dense<[[0.1, 0.2, 0.3]]> : tensor<1x3xf32>
  %0 = llmopt.matmul %x, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %1 = llmopt.add %0, %b : (tensor<?x3xf32>, tensor<1x3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// A [1, N] bias on a [?, ?, N] (batched) linear is a bias too.
// CHECK-LABEL: func.func @bias_row_batched
// CHECK: %[[Y:.*]] = llmopt.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @bias_row_batched(%x: tensor<?x?x2xf32>) -> tensor<?x?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = llmopt.constant dense<[[0.1, 0.2, 0.3]]> : tensor<1x3xf32>
  %0 = llmopt.matmul %x, %w : (tensor<?x?x2xf32>, tensor<2x3xf32>) -> tensor<?x?x3xf32>
  %1 = llmopt.add %b, %0 : (tensor<1x3xf32>, tensor<?x?x3xf32>) -> tensor<?x?x3xf32>
  return %1 : tensor<?x?x3xf32>
}

// -----

// A bias that broadcasts along another dim (one value per row) is not a linear bias: the add
// stays.
// CHECK-LABEL: func.func @bias_along_rows_not_folded
// CHECK: %[[L:.*]] = llmopt.linear %{{.*}}, %{{[^,]*}} : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: %[[Y:.*]] = llmopt.add %[[L]], %{{.*}} : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @bias_along_rows_not_folded(%x: tensor<4x2xf32>) -> tensor<4x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = llmopt.constant dense<[[0.1], [0.2], [0.3], [0.4]]> : tensor<4x1xf32>
  %0 = llmopt.matmul %x, %w : (tensor<4x2xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %1 = llmopt.add %0, %b : (tensor<4x3xf32>, tensor<4x1xf32>) -> tensor<4x3xf32>
  return %1 : tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func.func @bias_full_matrix_not_folded
// CHECK: %[[L:.*]] = llmopt.linear %{{.*}}, %{{[^,]*}} : (tensor<2x2xf32>, tensor<3x2xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: llmopt.add %[[L]], %{{.*}} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
func.func @bias_full_matrix_not_folded(%x: tensor<2x2xf32>) -> tensor<2x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = llmopt.constant dense<[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]> : tensor<2x3xf32>
  %0 = llmopt.matmul %x, %w : (tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = llmopt.add %0, %b : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// A [1, 1, N] bias on a rank-2 linear would make the result rank 3: not a bias.
// CHECK-LABEL: func.func @bias_higher_rank_not_folded
// CHECK: %[[L:.*]] = llmopt.linear %{{.*}}, %{{[^,]*}} : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: llmopt.add %[[L]], %{{.*}} : (tensor<?x3xf32>, tensor<1x1x3xf32>) -> tensor<1x?x3xf32>
func.func @bias_higher_rank_not_folded(%x: tensor<?x2xf32>) -> tensor<1x?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = llmopt.constant dense<[[[0.1, 0.2, 0.3]]]> : tensor<1x1x3xf32>
  %0 = llmopt.matmul %x, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %1 = llmopt.add %0, %b : (tensor<?x3xf32>, tensor<1x1x3xf32>) -> tensor<1x?x3xf32>
  return %1 : tensor<1x?x3xf32>
}

// -----

// A bias that is not a constant stays an add.
// CHECK-LABEL: func.func @bias_not_constant
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[L:.*]] = llmopt.linear %[[X]], %{{[^,]*}} : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: llmopt.add %[[L]], %[[B]]
func.func @bias_not_constant(%x: tensor<?x2xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = llmopt.matmul %x, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %1 = llmopt.add %0, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// The matmul result has another use: folding the bias into it would change that use.
// CHECK-LABEL: func.func @bias_linear_has_other_use
// CHECK: %[[L:.*]] = llmopt.linear %{{.*}}, %{{[^,]*}} : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: %[[Y:.*]] = llmopt.add %[[L]], %{{.*}}
// CHECK-NEXT: return %[[Y]], %[[L]]
func.func @bias_linear_has_other_use(%x: tensor<?x2xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %b = llmopt.constant dense<[0.1, 0.2, 0.3]> : tensor<3xf32>
  %0 = llmopt.matmul %x, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %1 = llmopt.add %0, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %1, %0 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// Gemm(alpha = 0.5, beta = 2, transB = 1) as the importer writes it: alpha moves into the
// weight and the bias, and every product of constants folds; canonicalize keeps that form.
// CHECK-LABEL: func.func @gemm_alpha
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CHECK-DAG: %[[W:.*]] = llmopt.constant dense<{{\[}}[5.000000e-01, 1.000000e+00], [1.500000e+00, 2.000000e+00], [2.500000e+00, 3.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[B:.*]] = llmopt.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK-NEXT: %[[Y:.*]] = llmopt.linear %[[X]], %[[W]], %[[B]] : (tensor<?x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: return %[[Y]]
// CANON-LABEL: func.func @gemm_alpha
// CANON-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CANON-DAG: %[[W:.*]] = llmopt.constant dense<{{\[}}[5.000000e-01, 1.000000e+00], [1.500000e+00, 2.000000e+00], [2.500000e+00, 3.000000e+00]]> : tensor<3x2xf32>
// CANON-DAG: %[[B:.*]] = llmopt.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CANON-NEXT: %[[Y:.*]] = llmopt.linear %[[X]], %[[W]], %[[B]] : (tensor<?x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// CANON-NEXT: return %[[Y]]
// Without bias folding, the scale still reaches the weight.
// NOBIAS-LABEL: func.func @gemm_alpha
// NOBIAS: %[[L:.*]] = llmopt.linear %{{.*}}, %{{[^,]*}} : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
// NOBIAS-NEXT: %[[Y:.*]] = llmopt.add %[[L]], %{{.*}} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
// NOBIAS-NEXT: return %[[Y]]
func.func @gemm_alpha(%x: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %c = llmopt.constant dense<[0.05, 0.1, 0.15]> : tensor<3xf32>
  %t = llmopt.transpose %w [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>
  %0 = llmopt.matmul %x, %t : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %alpha = llmopt.constant dense<0.5> : tensor<f32>
  %1 = llmopt.mul %0, %alpha : (tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
  %beta = llmopt.constant dense<2.0> : tensor<f32>
  %2 = llmopt.mul %c, %beta : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %3 = llmopt.add %1, %2 : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %3 : tensor<?x3xf32>
}

// -----

// The scale after the bias: linear(x, W, b) * s scales both W and b.
// CHECK-LABEL: func.func @scale_after_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CHECK-DAG: %[[W:.*]] = llmopt.constant dense<{{\[}}[3.000000e+00, 6.000000e+00], [9.000000e+00, 1.200000e+01]]> : tensor<2x2xf32>
// CHECK-DAG: %[[B:.*]] = llmopt.constant dense<[3.000000e+00, -3.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: %[[Y:.*]] = llmopt.linear %[[X]], %[[W]], %[[B]]
// CHECK-NEXT: return %[[Y]]
func.func @scale_after_bias(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = llmopt.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %s = llmopt.constant dense<3.0> : tensor<f32>
  %0 = llmopt.linear %x, %w, %b : (tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %1 = llmopt.mul %0, %s : (tensor<?x2xf32>, tensor<f32>) -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}

// -----

// MatMul(x, W[K, N]) * s with a [1] scale on the left: the [K, N] constant is scaled, then
// transposed.
// CHECK-LABEL: func.func @scale_kn_weight
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CHECK-NEXT: %[[W:.*]] = llmopt.constant dense<{{\[}}[2.000000e+00, 4.000000e+00, 6.000000e+00], [8.000000e+00, 1.000000e+01, 1.200000e+01]]> : tensor<2x3xf32>
// CHECK-NEXT: %[[WT:.*]] = llmopt.transpose %[[W]] [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK-NEXT: %[[Y:.*]] = llmopt.linear %[[X]], %[[WT]] : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
// CHECK-NEXT: return %[[Y]]
// CANON-LABEL: func.func @scale_kn_weight
// CANON-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CANON-NEXT: %[[W:.*]] = llmopt.constant dense<{{\[}}[2.000000e+00, 4.000000e+00, 6.000000e+00], [8.000000e+00, 1.000000e+01, 1.200000e+01]]> : tensor<2x3xf32>
// CANON-NEXT: %[[WT:.*]] = llmopt.transpose %[[W]] [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
// CANON-NEXT: %[[Y:.*]] = llmopt.linear %[[X]], %[[WT]] : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
// CANON-NEXT: return %[[Y]]
func.func @scale_kn_weight(%x: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = llmopt.matmul %x, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %s = llmopt.constant dense<[2.0]> : tensor<1xf32>
  %1 = llmopt.mul %s, %0 : (tensor<1xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// A per-column scale is not a scalar: left alone.
// CHECK-LABEL: func.func @scale_per_column_not_folded
// CHECK: %[[L:.*]] = llmopt.linear
// CHECK-NEXT: llmopt.mul %[[L]], %{{.*}} : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
func.func @scale_per_column_not_folded(%x: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %w = llmopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %0 = llmopt.matmul %x, %w : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %s = llmopt.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %1 = llmopt.mul %0, %s : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// A linear with a weight that is not a constant (written by hand) times a scalar: nothing to
// fold, and the IR is left exactly as it was.
// CHECK-LABEL: func.func @scale_non_constant_weight
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>, %[[W:.*]]: tensor<3x2xf32>)
// CHECK-NEXT: %[[S:.*]] = llmopt.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[L:.*]] = llmopt.linear %[[X]], %[[W]]
// CHECK-NEXT: %[[Y:.*]] = llmopt.mul %[[L]], %[[S]]
// CHECK-NEXT: return %[[Y]]
func.func @scale_non_constant_weight(%x: tensor<?x2xf32>, %w: tensor<3x2xf32>) -> tensor<?x3xf32> {
  %s = llmopt.constant dense<2.0> : tensor<f32>
  %0 = llmopt.linear %x, %w : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
  %1 = llmopt.mul %0, %s : (tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// min-features=8: a weight with fewer than 8 input or output features stays a matmul.
// CHECK-LABEL: func.func @min_features
// CHECK-COUNT-2: llmopt.linear
// CHECK-NOT: llmopt.matmul
// MIN8-LABEL: func.func @min_features
// MIN8-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// MIN8: %[[A:.*]] = llmopt.linear %[[X]], %{{.*}} : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
// MIN8-NEXT: llmopt.matmul %[[A]], %{{.*}} : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
func.func @min_features(%x: tensor<?x8xf32>) -> tensor<?x4xf32> {
  %w1 = llmopt.constant dense<1.0> : tensor<8x8xf32>
  %w2 = llmopt.constant dense<1.0> : tensor<8x4xf32>
  %0 = llmopt.matmul %x, %w1 : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %1 = llmopt.matmul %0, %w2 : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}

// -----

// Activation × activation: no weight to recognize.
// CHECK-LABEL: func.func @matmul_non_constant_rhs
// CHECK-SAME: (%[[A:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[Y:.*]] = llmopt.matmul %[[A]], %[[B]]
// CHECK-NEXT: return %[[Y]]
func.func @matmul_non_constant_rhs(%a: tensor<?x4xf32>, %b: tensor<4x8xf32>) -> tensor<?x8xf32> {
  %0 = llmopt.matmul %a, %b : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// A transposed activation is not a weight either.
// CHECK-LABEL: func.func @matmul_transposed_activation
// CHECK-NEXT: llmopt.transpose
// CHECK-NEXT: llmopt.matmul
// CHECK-NEXT: return
func.func @matmul_transposed_activation(%a: tensor<?x4xf32>, %b: tensor<8x4xf32>) -> tensor<?x8xf32> {
  %t = llmopt.transpose %b [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
  %0 = llmopt.matmul %a, %t : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// A batched constant rhs is not one matrix: left alone.
// CHECK-LABEL: func.func @matmul_batched_constant
// CHECK-NEXT: llmopt.constant
// CHECK-NEXT: llmopt.matmul
// CHECK-NEXT: return
func.func @matmul_batched_constant(%a: tensor<2x3x4xf32>) -> tensor<2x3x5xf32> {
  %w = llmopt.constant dense<1.0> : tensor<2x4x5xf32>
  %0 = llmopt.matmul %a, %w : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}
