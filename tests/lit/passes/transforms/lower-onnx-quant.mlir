// RUN: llmopt-opt %s -split-input-file --llmopt-lower-onnx-quant -verify-diagnostics | FileCheck %s
// RUN: llmopt-opt %s -split-input-file --llmopt-lower-onnx-quant --canonicalize -verify-diagnostics | FileCheck %s --check-prefix=CANON

// A QDQ pair on an activation (same per-tensor scale and zero point) becomes fake_quantize;
// uint8 storage clamps to [0, 255].
// CHECK-LABEL: func.func @qdq_pair
// CHECK: %[[FQ:.*]] = llmopt.fake_quantize %arg0 {qmax = 255 : i64, qmin = 0 : i64, scale = 2.500000e-01 : f32, zero_point = 128 : i64} : tensor<?x8xf32>
// CHECK-NEXT: return %[[FQ]]
func.func @qdq_pair(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %s = llmopt.constant dense<0.25> : tensor<f32>
  %z = llmopt.constant dense<128> : tensor<ui8>
  %q = llmopt.quantize_linear %x, %s zero_point %z {axis = 0 : i64} : (tensor<?x8xf32>, tensor<f32>, tensor<ui8>) -> tensor<?x8xui8>
  %y = llmopt.dequantize_linear %q, %s zero_point %z {axis = 0 : i64} : (tensor<?x8xui8>, tensor<f32>, tensor<ui8>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Fake quantization of a constant folds: 0.3 / 0.25 = 1.2 -> 1; 0.375 / 0.25 = 1.5 -> 2 (half
// to even); -1.0 -> -4 + 3 = -1 -> clamped to qmin 0 -> (0 - 3) * 0.25 = -0.75; 100 -> clamped
// to 255 -> (255 - 3) * 0.25 = 63.
// CANON-LABEL: func.func @qdq_constant
// CANON-NEXT: %[[C:.*]] = llmopt.constant dense<[2.500000e-01, 5.000000e-01, -7.500000e-01, 6.300000e+01]> : tensor<4xf32>
// CANON-NEXT: return %[[C]]
func.func @qdq_constant() -> tensor<4xf32> {
  %c = llmopt.constant dense<[0.3, 0.375, -1.0, 100.0]> : tensor<4xf32>
  %s = llmopt.constant dense<0.25> : tensor<f32>
  %z = llmopt.constant dense<3> : tensor<ui8>
  %q = llmopt.quantize_linear %c, %s zero_point %z {axis = 0 : i64} : (tensor<4xf32>, tensor<f32>, tensor<ui8>) -> tensor<4xui8>
  %y = llmopt.dequantize_linear %q, %s zero_point %z {axis = 0 : i64} : (tensor<4xui8>, tensor<f32>, tensor<ui8>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// quantize_dynamic: the chain becomes one W8A8 layer on the float input; the per-tensor weight
// scale is repeated per channel, the weight stored [N, K].
// CHECK-LABEL: func.func @dynamic
// CHECK-DAG: %[[W:.*]] = llmopt.constant dense<{{\[}}[1, 3], [-2, 4]]> : tensor<2x2xi8>
// CHECK-DAG: %[[S:.*]] = llmopt.constant dense<5.000000e-01> : tensor<2xf32>
// CHECK: %[[Y:.*]] = llmopt.quantized_linear %arg0, %[[W]] scale %[[S]] {group_size = 0 : i64, mode = "int8"} : (tensor<?x2xf32>, tensor<2x2xi8>, tensor<2xf32>) -> tensor<?x2xf32>
// CHECK-NEXT: return %[[Y]]
// CANON-LABEL: func.func @dynamic
// CANON-NOT: dynamic_quantize_linear
// CANON-NOT: matmul_integer
// CANON: llmopt.quantized_linear
func.func @dynamic(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = llmopt.constant dense<[[1, -2], [3, 4]]> : tensor<2x2xi8>
  %wz = llmopt.constant dense<0> : tensor<i8>
  %ws = llmopt.constant dense<0.5> : tensor<f32>
  %q, %s, %z = llmopt.dynamic_quantize_linear %x : (tensor<?x2xf32>) -> (tensor<?x2xui8>, tensor<f32>, tensor<ui8>)
  %acc = llmopt.matmul_integer %q, %w a_zero_point %z b_zero_point %wz : (tensor<?x2xui8>, tensor<2x2xi8>, tensor<ui8>, tensor<i8>) -> tensor<?x2xi32>
  %f = llmopt.cast %acc : tensor<?x2xi32> -> tensor<?x2xf32>
  %scale = llmopt.mul %s, %ws : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %y = llmopt.mul %f, %scale : (tensor<?x2xf32>, tensor<f32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A uint8 weight whose q - zero_point leaves int8 range is requantized (with a warning):
// [10, 200] with scale 200 / 127.
// CHECK-LABEL: func.func @asymmetric_weight
// CHECK-DAG: llmopt.constant dense<{{\[}}[6, 127]]> : tensor<1x2xi8>
// CHECK-DAG: llmopt.constant dense<1.57480{{[0-9]*}}> : tensor<1xf32>
// CHECK: llmopt.quantized_linear %arg0, {{.*}} {group_size = 0 : i64, mode = "int8-weight"}
func.func @asymmetric_weight(%x: tensor<?x2xf32>) -> tensor<?x1xf32> {
  %w = llmopt.constant dense<[[10], [200]]> : tensor<2x1xui8>
  %s = llmopt.constant dense<1.0> : tensor<f32>
  %z = llmopt.constant dense<0> : tensor<ui8>
  // expected-warning @+1 {{node 'llmopt.dequantize_linear': its weight's zero point is not 0, so llmopt re-quantizes it symmetrically per output channel (not bit-exact)}}
  %wf = llmopt.dequantize_linear %w, %s zero_point %z {axis = 0 : i64} : (tensor<2x1xui8>, tensor<f32>, tensor<ui8>) -> tensor<2x1xf32>
  %y = llmopt.matmul %x, %wf : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}

// -----

// quantize_dynamic's embeddings: the lookup reads a dequantized (folded) table.
// CHECK-LABEL: func.func @gather_table
// CHECK: %[[T:.*]] = llmopt.constant dense<{{\[}}[-1.000000e+00, 0.000000e+00], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[G:.*]] = llmopt.gather %[[T]], %arg0 {axis = 0 : i64}
// CHECK-NEXT: return %[[G]]
func.func @gather_table(%ids: tensor<?xi64>) -> tensor<?x2xf32> {
  %t = llmopt.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xui8>
  %s = llmopt.constant dense<1.0> : tensor<f32>
  %z = llmopt.constant dense<2> : tensor<ui8>
  %g = llmopt.gather %t, %ids {axis = 0 : i64} : (tensor<2x2xui8>, tensor<?xi64>) -> tensor<?x2xui8>
  %y = llmopt.dequantize_linear %g, %s zero_point %z {axis = 0 : i64} : (tensor<?x2xui8>, tensor<f32>, tensor<ui8>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A QuantizeLinear whose result leaves the graph, and a pair with different scales: errors.
func.func @unpaired(%x: tensor<4xf32>) -> (tensor<4xui8>, tensor<4xf32>) {
  %s = llmopt.constant dense<0.25> : tensor<f32>
  %s2 = llmopt.constant dense<0.5> : tensor<f32>
  // expected-error @+1 {{QuantizeLinear runs only as half of a QuantizeLinear -> DequantizeLinear pair}}
  %q = llmopt.quantize_linear %x, %s {axis = 0 : i64} : (tensor<4xf32>, tensor<f32>) -> tensor<4xui8>
  // expected-error @+1 {{DequantizeLinear runs only on constants, after a matching QuantizeLinear}}
  %y = llmopt.dequantize_linear %q, %s2 {axis = 0 : i64} : (tensor<4xui8>, tensor<f32>) -> tensor<4xf32>
  return %q, %y : tensor<4xui8>, tensor<4xf32>
}

// -----

// MatMulInteger without the Cast and Mul of quantize_dynamic's form.
func.func @bare_matmul_integer(%x: tensor<?x2xf32>) -> tensor<?x2xi32> {
  %w = llmopt.constant dense<[[1, -2], [3, 4]]> : tensor<2x2xi8>
  // expected-error @+1 {{DynamicQuantizeLinear and MatMulInteger run only in ONNX Runtime's quantize_dynamic form}}
  %q, %s, %z = llmopt.dynamic_quantize_linear %x : (tensor<?x2xf32>) -> (tensor<?x2xui8>, tensor<f32>, tensor<ui8>)
  // expected-error @+1 {{DynamicQuantizeLinear and MatMulInteger run only in ONNX Runtime's quantize_dynamic form}}
  %acc = llmopt.matmul_integer %q, %w a_zero_point %z : (tensor<?x2xui8>, tensor<2x2xi8>, tensor<ui8>) -> tensor<?x2xi32>
  return %acc : tensor<?x2xi32>
}
