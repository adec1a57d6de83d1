// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-activations | FileCheck %s
// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-activations=disable=gelu-erf | FileCheck %s --check-prefix=NOERF
// RUN: not llmopt-opt %s -split-input-file --llmopt-fuse-activations=disable=gelu 2>&1 | FileCheck %s --check-prefix=BADNAME

// BADNAME: llmopt-fuse-activations: unknown fusion 'gelu' in disable (expected gelu-erf, gelu-tanh or silu)

// The erf form as torch exports it (charlm-gpt): Div, Erf, Add, Mul(x, ·), Mul(·, 0.5).
// CHECK-LABEL: func.func @gelu_erf
// CHECK: %[[G:.*]] = llmopt.gelu %arg0 : tensor<?x8xf32>
// CHECK-NEXT: return %[[G]]
// NOERF-LABEL: func.func @gelu_erf
// NOERF: llmopt.erf
// NOERF-NOT: llmopt.gelu
func.func @gelu_erf(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %sqrt2 = llmopt.constant dense<1.41421354> : tensor<f32>
  %one = llmopt.constant dense<1.0> : tensor<f32>
  %half = llmopt.constant dense<0.5> : tensor<f32>
  %d = llmopt.div %x, %sqrt2 : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %e = llmopt.erf %d : tensor<?x8xf32>
  %a = llmopt.add %e, %one : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %m = llmopt.mul %x, %a : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %y = llmopt.mul %m, %half : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Other orders: x · 1/√2, 1 + erf, (0.5 · x) · (1 + erf).
// CHECK-LABEL: func.func @gelu_erf_reordered
// CHECK: %[[G:.*]] = llmopt.gelu %arg0 : tensor<4xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_erf_reordered(%x: tensor<4xf32>) -> tensor<4xf32> {
  %inv = llmopt.constant dense<0.707106769> : tensor<1xf32>
  %one = llmopt.constant dense<1.0> : tensor<f32>
  %half = llmopt.constant dense<0.5> : tensor<f32>
  %d = llmopt.mul %inv, %x : (tensor<1xf32>, tensor<4xf32>) -> tensor<4xf32>
  %e = llmopt.erf %d : tensor<4xf32>
  %a = llmopt.add %one, %e : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %h = llmopt.mul %half, %x : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %y = llmopt.mul %h, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// The tanh form as Hugging Face's gelu_new exports (GPT-2): pow(x, 3).
// CHECK-LABEL: func.func @gelu_tanh
// CHECK: %[[G:.*]] = llmopt.gelu %arg0 {approximate = "tanh"} : tensor<?x8xf32>
// CHECK-NEXT: return %[[G]]
// NOERF-LABEL: func.func @gelu_tanh
// NOERF: llmopt.gelu %arg0 {approximate = "tanh"}
func.func @gelu_tanh(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %half = llmopt.constant dense<0.5> : tensor<f32>
  %three = llmopt.constant dense<3.0> : tensor<f32>
  %c = llmopt.constant dense<0.044715> : tensor<f32>
  %k = llmopt.constant dense<0.797884583> : tensor<f32>
  %one = llmopt.constant dense<1.0> : tensor<f32>
  %h = llmopt.mul %x, %half : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %p = llmopt.pow %x, %three : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %pc = llmopt.mul %p, %c : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %s = llmopt.add %x, %pc : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %sk = llmopt.mul %s, %k : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %t = llmopt.tanh %sk : tensor<?x8xf32>
  %a = llmopt.add %t, %one : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %y = llmopt.mul %h, %a : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Near misses stay: erf(x / 2) is not GELU, and 0.5 · y · (1 + erf(x / √2)) with y ≠ x neither.
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: llmopt.gelu
// CHECK: return
func.func @not_gelu(%x: tensor<4xf32>, %z: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %two = llmopt.constant dense<2.0> : tensor<f32>
  %sqrt2 = llmopt.constant dense<1.41421354> : tensor<f32>
  %one = llmopt.constant dense<1.0> : tensor<f32>
  %half = llmopt.constant dense<0.5> : tensor<f32>
  %d = llmopt.div %x, %two : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %e = llmopt.erf %d : tensor<4xf32>
  %a = llmopt.add %e, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %m = llmopt.mul %x, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y = llmopt.mul %m, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %d2 = llmopt.div %x, %sqrt2 : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %e2 = llmopt.erf %d2 : tensor<4xf32>
  %a2 = llmopt.add %e2, %one : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %m2 = llmopt.mul %z, %a2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %y2 = llmopt.mul %m2, %half : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %y, %y2 : tensor<4xf32>, tensor<4xf32>
}

// -----

// SiLU, as Llama's MLP exports it (Sigmoid then Mul), in both operand orders.
// CHECK-LABEL: func.func @silu
// CHECK: %[[A:.*]] = llmopt.silu %arg0 : tensor<?x8xf32>
// CHECK: %[[B:.*]] = llmopt.silu %arg1 : tensor<?x8xf32>
// CHECK: return %[[A]], %[[B]]
func.func @silu(%x: tensor<?x8xf32>, %z: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %s = llmopt.sigmoid %x : tensor<?x8xf32>
  %a = llmopt.mul %x, %s : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %t = llmopt.sigmoid %z : tensor<?x8xf32>
  %b = llmopt.mul %t, %z : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %a, %b : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// x · sigmoid(y) with y ≠ x is a gate, not SiLU.
// CHECK-LABEL: func.func @gate_not_silu
// CHECK-NOT: llmopt.silu
// CHECK: return
func.func @gate_not_silu(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %s = llmopt.sigmoid %y : tensor<4xf32>
  %a = llmopt.mul %x, %s : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %a : tensor<4xf32>
}
