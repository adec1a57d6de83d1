// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-epilogues | FileCheck %s
// RUN: llmopt-opt %s -split-input-file --llmopt-fuse-epilogues -mlir-print-debuginfo -mlir-print-local-scope | FileCheck %s --check-prefix=LOC
// RUN: llmopt-opt %s -split-input-file "--llmopt-fuse-epilogues=disable=residual" | FileCheck %s --check-prefix=NORES
// RUN: not llmopt-opt %s -split-input-file "--llmopt-fuse-epilogues=disable=bias" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: llmopt-fuse-epilogues: unknown fusion 'bias' in disable (expected activation or residual)

// A transformer MLP: gelu after the up projection, the residual added after the down
// projection (the residual on the left, as torch writes `x + mlp(x)`). The layers keep their
// locations.
// CHECK-LABEL: func.func @mlp
// CHECK: %[[UP:.*]] = llmopt.linear %arg0, %arg1, %arg2 {activation = "gelu"}
// CHECK: %[[DOWN:.*]] = llmopt.linear %[[UP]], %arg3 residual %arg0 :
// CHECK-NEXT: return %[[DOWN]]
// LOC-LABEL: func.func @mlp
// LOC: llmopt.linear {{.*}} {activation = "gelu"} : {{.*}} loc("up")
// LOC: llmopt.linear {{.*}} residual {{.*}} loc("down")
// NORES-LABEL: func.func @mlp
// NORES: llmopt.linear %arg0, %arg1, %arg2 {activation = "gelu"}
// NORES: llmopt.add
func.func @mlp(%x: tensor<?x8xf32>, %w1: tensor<16x8xf32>, %b1: tensor<16xf32>, %w2: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %h = llmopt.linear %x, %w1, %b1 : (tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<?x16xf32> loc("up")
  %a = llmopt.gelu %h : tensor<?x16xf32>
  %o = llmopt.linear %a, %w2 : (tensor<?x16xf32>, tensor<8x16xf32>) -> tensor<?x8xf32> loc("down")
  %y = llmopt.add %x, %o : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// SwiGLU's gate (silu), relu, and GPT-2's tanh GELU behind the reshape of its Conv1D; the
// activation then the residual on the same layer.
// CHECK-LABEL: func.func @activations
// CHECK: llmopt.linear %arg0, %arg1 {activation = "silu"}
// CHECK: llmopt.linear %arg0, %arg1 {activation = "relu"}
// CHECK: %[[G:.*]] = llmopt.linear %arg2, %arg3 {activation = "gelu_tanh"} : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
// CHECK: llmopt.reshape_to %[[G]]
// CHECK: llmopt.linear %arg0, %arg1 residual %arg4 {activation = "silu"}
// CHECK-NOT: llmopt.silu
// CHECK-NOT: llmopt.relu
// CHECK-NOT: llmopt.gelu
func.func @activations(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %x2: tensor<?x8xf32> {llmopt.dim_names = ["bs"]}, %w2: tensor<16x8xf32>, %r: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<1x?x16xf32>, tensor<?x8xf32>) {
  %l1 = llmopt.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %s = llmopt.silu %l1 : tensor<?x8xf32>
  %l2 = llmopt.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %q = llmopt.relu %l2 : tensor<?x8xf32>
  %l3 = llmopt.linear %x2, %w2 : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %l3r = llmopt.reshape_to %l3 {shape = [1, "bs", 16]} : tensor<?x16xf32> -> tensor<1x?x16xf32>
  %g = llmopt.gelu %l3r {approximate = "tanh"} : tensor<1x?x16xf32>
  %l4 = llmopt.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %s4 = llmopt.silu %l4 : tensor<?x8xf32>
  %y4 = llmopt.add %s4, %r : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %s, %q, %g, %y4 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<1x?x16xf32>, tensor<?x8xf32>
}

// -----

// Near misses: the product has another use; the add broadcasts (a bias, not a residual); an
// activation after the residual (act(y + r) is not act(y) + r).
// CHECK-LABEL: func.func @near_misses
// CHECK: %[[A:.*]] = llmopt.linear %arg0, %arg1 :
// CHECK: llmopt.gelu %[[A]]
// CHECK: %[[B:.*]] = llmopt.linear %arg0, %arg1 :
// CHECK: llmopt.add %[[B]], %arg2
// CHECK: %[[C:.*]] = llmopt.linear %arg0, %arg1 residual %arg0 :
// CHECK: llmopt.gelu %[[C]]
func.func @near_misses(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %bias: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %a = llmopt.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %ga = llmopt.gelu %a : tensor<?x8xf32>
  %b = llmopt.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %bb = llmopt.add %b, %bias : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %c = llmopt.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %cr = llmopt.add %c, %x : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %gc = llmopt.gelu %cr : tensor<?x8xf32>
  return %ga, %a, %bb, %gc : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Quantized layers take the epilogue too.
// CHECK-LABEL: func.func @quantized
// CHECK: llmopt.quantized_linear %arg0, %arg1 scale %arg2 residual %arg0 {activation = "gelu", group_size = 0 : i64, mode = "int8"}
func.func @quantized(%x: tensor<?x8xf32>, %q: tensor<8x8xi8>, %s: tensor<8xf32>) -> tensor<?x8xf32> {
  %y = llmopt.quantized_linear %x, %q scale %s {mode = "int8", group_size = 0 : i64} : (tensor<?x8xf32>, tensor<8x8xi8>, tensor<8xf32>) -> tensor<?x8xf32>
  %g = llmopt.gelu %y : tensor<?x8xf32>
  %r = llmopt.add %g, %x : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// GPT-2's residual adds: the Conv1D's product [B·S, E] is reshaped to [B, S, E] before the
// add. The residual is reshaped to the product's shape instead and joins the layer; the layer's
// result is reshaped as before. A residual computed after the layer cannot join it.
// CHECK-LABEL: func.func @conv1d_residual
// CHECK: llmopt.reshape %arg0 [-1, 8]
// CHECK: %[[R:.*]] = llmopt.reshape %arg0 [-1, 8] : tensor<?x?x8xf32> -> tensor<?x8xf32>
// CHECK: %[[L:.*]] = llmopt.linear %{{.*}}, %arg1 residual %[[R]] : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK: %[[Y:.*]] = llmopt.reshape_to %[[L]] {shape = ["batch", "seq", 8]}
// CHECK: %[[G:.*]] = llmopt.gelu %[[Y]]
// CHECK: llmopt.add %{{.*}}, %[[G]]
// NORES-LABEL: func.func @conv1d_residual
// NORES-COUNT-2: llmopt.add
func.func @conv1d_residual(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  %x2 = llmopt.reshape %x [-1, 8] : tensor<?x?x8xf32> -> tensor<?x8xf32>
  %l = llmopt.linear %x2, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %y = llmopt.reshape_to %l {shape = ["batch", "seq", 8]} : tensor<?x8xf32> -> tensor<?x?x8xf32>
  %sum = llmopt.add %x, %y : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %l2 = llmopt.linear %x2, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %y2 = llmopt.reshape_to %l2 {shape = ["batch", "seq", 8]} : tensor<?x8xf32> -> tensor<?x?x8xf32>
  %late = llmopt.gelu %sum : tensor<?x?x8xf32>
  %sum2 = llmopt.add %y2, %late : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %sum2 : tensor<?x?x8xf32>
}
