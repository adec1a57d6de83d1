// RUN: llmopt-opt %s --llmopt-smooth=alpha=0.5 | FileCheck %s

// SmoothQuant folds into a fused rms_norm's weight as into layer_norm's scale. Channel 0:
// max|x| 16, max|W| 1 -> s = 4; channel 1: max|x| 1, max|W| 4 -> s = 0.5. The weight [1, 2]
// becomes [1/4, 2/0.5]; the linear's columns are multiplied by s.
// CHECK-DAG: %[[G:.*]] = llmopt.constant dense<[2.500000e-01, 4.000000e+00]> : tensor<2xf32>
// CHECK: %[[N:.*]] = llmopt.rms_norm %{{.*}}, %[[G]]
// CHECK-DAG: %[[W:.*]] = llmopt.constant dense<{{\[}}[4.000000e+00, 2.000000e+00], [-4.000000e+00, 5.000000e-01]]> : tensor<2x2xf32>
// CHECK-DAG: llmopt.linear %[[N]], %[[W]]
module attributes {llmopt.calibration = {"/q/MatMul" = dense<[16.0, 1.0]> : tensor<2xf32>}} {
  func.func @main(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
    %g = llmopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
    %n = llmopt.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
    %wq = llmopt.constant dense<[[1.0, 4.0], [-1.0, 1.0]]> : tensor<2x2xf32>
    %q = llmopt.linear %n, %wq : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("/q/MatMul")
    return %q : tensor<3x2xf32>
  }
}
