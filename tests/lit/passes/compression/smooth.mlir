// RUN: llmopt-opt %s --llmopt-smooth=alpha=0.5 | FileCheck %s
// RUN: llmopt-opt %s --llmopt-smooth=alpha=0.5 --llmopt-quantize=mode=int8 | FileCheck %s --check-prefix=QUANT

// SmoothQuant: s_j = sqrt(max|x_j|) / sqrt(max|W_:,j|) over both linears reading the norm.
// Channel 0: max|x| 16 (statistics), max|W| 1 -> s = 4; channel 1: max|x| 1, max|W| 4 -> s = 0.5.
// The norm's scale and bias are divided by s, each weight column multiplied by it; the
// statistics are divided too and the factors recorded.
// CHECK: module attributes {llmopt.calibration = {"/k/MatMul" = dense<[4.000000e+00, 2.000000e+00]> : tensor<2xf32>, "/o/MatMul" = dense<3.000000e+00> : tensor<2xf32>, "/q/MatMul" = dense<[4.000000e+00, 2.000000e+00]> : tensor<2xf32>}, llmopt.smoothing = {"/k/MatMul" = dense<[4.000000e+00, 5.000000e-01]> : tensor<2xf32>, "/q/MatMul" = dense<[4.000000e+00, 5.000000e-01]> : tensor<2xf32>}}
// CHECK-DAG: %[[G:.*]] = llmopt.constant dense<[2.500000e-01, 4.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[B:.*]] = llmopt.constant dense<[2.500000e-01, -2.000000e+00]> : tensor<2xf32>
// CHECK: %[[N:.*]] = llmopt.layer_norm %{{.*}}, %[[G]], %[[B]]
// CHECK-DAG: %[[WQ:.*]] = llmopt.constant dense<{{\[}}[4.000000e+00, 2.000000e+00], [-4.000000e+00, 5.000000e-01]]> : tensor<2x2xf32>
// CHECK-DAG: llmopt.linear %[[N]], %[[WQ]]
// CHECK-DAG: %[[WK:.*]] = llmopt.constant dense<{{\[}}[2.000000e+00, -1.000000e+00], [0.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: llmopt.linear %[[N]], %[[WK]]
// The output projection reads something that is not a norm: left alone.
// CHECK-DAG: llmopt.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// QUANT-COUNT-3: llmopt.quantized_linear
module attributes {llmopt.calibration = {"/q/MatMul" = dense<[16.0, 1.0]> : tensor<2xf32>, "/k/MatMul" = dense<[16.0, 1.0]> : tensor<2xf32>, "/o/MatMul" = dense<[3.0, 3.0]> : tensor<2xf32>}} {
  func.func @main(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
    %g = llmopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
    %b = llmopt.constant dense<[1.0, -1.0]> : tensor<2xf32>
    %n = llmopt.layer_norm %x, %g, %b {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
    %wq = llmopt.constant dense<[[1.0, 4.0], [-1.0, 1.0]]> : tensor<2x2xf32>
    %q = llmopt.linear %n, %wq : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("/q/MatMul")
    %wk = llmopt.constant dense<[[0.5, -2.0], [0.0, 2.0]]> : tensor<2x2xf32>
    %k = llmopt.linear %n, %wk : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("/k/MatMul")
    %wo = llmopt.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
    %o = llmopt.linear %q, %wo : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("/o/MatMul")
    return %o, %k : tensor<3x2xf32>, tensor<3x2xf32>
  }
}
