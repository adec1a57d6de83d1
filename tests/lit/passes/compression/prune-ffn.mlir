// RUN: llmopt-opt %s --llmopt-prune="ffn=0.5 min-ffn-channels=1" | FileCheck %s --check-prefix=MAG
// RUN: llmopt-opt %s --llmopt-prune="ffn=0.5 min-ffn-channels=1 criterion=activation" | FileCheck %s --check-prefix=ACT
// RUN: llmopt-opt %s --llmopt-prune="ffn=0.5 min-ffn-channels=3" | FileCheck %s --check-prefix=MIN
// RUN: llmopt-opt %s --llmopt-prune="ffn=0.5 min-ffn-channels=1 ffn-rules=/swi*=0" | FileCheck %s --check-prefix=RULE
// RUN: llmopt-opt %s --llmopt-prune="ffn=0" | FileCheck %s --check-prefix=NONE

// A GELU MLP with 4 channels. Rows of up: norms 1, 5, 2, sqrt 2; columns of down: norms
// sqrt 2, 0.1, 2, 3. magnitude = row norm x column norm: 1.41, 0.5, 4, 4.24 -> channels 2 and 3
// stay (in order), with their bias entries.
// The calibration statistics are cut to the channels kept; what was removed is recorded.
// MAG: module attributes
// MAG-SAME: llmopt.calibration = {"/down/MatMul" = dense<[5.000000e+00, 6.000000e+00]> : tensor<2xf32>
// MAG-SAME: llmopt.calibration_gram = {"/down/MatMul" = dense<{{\[}}[1.100000e+01, 1.200000e+01], [1.500000e+01, 1.600000e+01]]> : tensor<2x2xf32>}
// MAG-SAME: llmopt.pruning = {"/down/MatMul" = {kept = array<i64: 2, 3>, kind = "ffn", of = 4 : i64}, "/flat/down/Gemm" = {kept = array<i64: 2, 3>, kind = "ffn", of = 4 : i64}, "/swiglu/down/MatMul" = {kept = array<i64: 1, 3>, kind = "ffn", of = 4 : i64}}
// MAG-LABEL: func.func @gelu_mlp
// MAG-DAG: %[[W1:.*]] = llmopt.constant dense<{{\[}}[0.000000e+00, 2.000000e+00], [1.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// MAG-DAG: %[[B1:.*]] = llmopt.constant dense<[3.000000e-01, 4.000000e-01]> : tensor<2xf32>
// MAG: %[[H:.*]] = llmopt.linear %arg0, %[[W1]], %[[B1]] {activation = "gelu"} : (tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
// MAG: %[[W2:.*]] = llmopt.constant dense<{{\[}}[2.000000e+00, 0.000000e+00], [0.000000e+00, 3.000000e+00]]> : tensor<2x2xf32>
// MAG: llmopt.linear %[[H]], %[[W2]], %{{.*}} : (tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>

// activation = calibration RMS of down's input x column norm: 1.41, 10, 0.2, 0.3 -> 0 and 1.
// ACT: module attributes
// ACT-SAME: "/down/MatMul" = dense<[1.000000e+00, 1.000000e+02]> : tensor<2xf32>
// ACT-LABEL: func.func @gelu_mlp
// ACT-DAG: llmopt.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// ACT-DAG: llmopt.constant dense<[1.000000e-01, 2.000000e-01]> : tensor<2xf32>
// ACT-DAG: llmopt.constant dense<{{\[}}[1.000000e+00, 0.000000e+00], [1.000000e+00, 1.000000e-01]]> : tensor<2x2xf32>

// MIN-LABEL: func.func @gelu_mlp
// MIN: llmopt.linear %arg0, %{{.*}}, %{{.*}} {activation = "gelu"} : (tensor<?x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<?x3xf32>

// SwiGLU: gate and up rows and down columns go together; the silu and the product shrink too.
// Channel scores (gate row x up row x down column): 1, 2, 0.5, 4 -> channels 1 and 3.
// MAG-LABEL: func.func @swiglu
// MAG-DAG: %[[G:.*]] = llmopt.linear %arg0, %{{.*}} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
// MAG-DAG: %[[S:.*]] = llmopt.silu %[[G]] : tensor<?x2xf32>
// MAG-DAG: %[[U:.*]] = llmopt.linear %arg0, %{{.*}} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
// MAG: %[[P:.*]] = llmopt.mul %[[S]], %[[U]] : (tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
// MAG: llmopt.linear %[[P]], %{{.*}} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
// RULE-LABEL: func.func @swiglu
// RULE: llmopt.mul %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>

// GPT-2's Conv1D flattens the rows around each product: the reshapes between up and down keep
// the last dim, so they get the new channel count (shape and type).
// MAG-LABEL: func.func @flattened
// MAG: %[[H:.*]] = llmopt.linear {{.*}} -> tensor<?x2xf32>
// MAG: %[[R:.*]] = llmopt.reshape_to %[[H]] {shape = ["batch", "seq", 2]} : tensor<?x2xf32> -> tensor<?x?x2xf32>
// MAG: %[[F:.*]] = llmopt.reshape %[[R]] [-1, 2] : tensor<?x?x2xf32> -> tensor<?x2xf32>
// MAG: llmopt.linear %[[F]], %{{.*}} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>

// Pruning nothing changes nothing.
// NONE-NOT: llmopt.pruning
// NONE-LABEL: func.func @gelu_mlp
// NONE: tensor<4x2xf32>

module attributes {llmopt.calibration = {"/down/MatMul" = dense<[5.0, 5.0, 5.0, 6.0]> : tensor<4xf32>}, llmopt.calibration_gram = {"/down/MatMul" = dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]]> : tensor<4x4xf32>}, llmopt.calibration_rms = {"/down/MatMul" = dense<[1.0, 100.0, 0.1, 0.1]> : tensor<4xf32>, "/swiglu/down/MatMul" = dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>, "/flat/down/Gemm" = dense<1.0> : tensor<4xf32>}} {
  func.func @gelu_mlp(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %w1 = llmopt.constant dense<[[1.0, 0.0], [3.0, 4.0], [0.0, 2.0], [1.0, 1.0]]> : tensor<4x2xf32>
    %b1 = llmopt.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
    %h = llmopt.linear %x, %w1, %b1 {activation = "gelu"} : (tensor<?x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<?x4xf32> loc("/up/MatMul")
    %w2 = llmopt.constant dense<[[1.0, 0.0, 2.0, 0.0], [1.0, 0.1, 0.0, 3.0]]> : tensor<2x4xf32>
    %b2 = llmopt.constant dense<[0.5, 0.5]> : tensor<2xf32>
    %y = llmopt.linear %h, %w2, %b2 : (tensor<?x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<?x2xf32> loc("/down/MatMul")
    return %y : tensor<?x2xf32>
  }

  func.func @swiglu(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %wg = llmopt.constant dense<[[1.0, 0.0], [2.0, 0.0], [1.0, 0.0], [2.0, 0.0]]> : tensor<4x2xf32>
    %g = llmopt.linear %x, %wg : (tensor<?x2xf32>, tensor<4x2xf32>) -> tensor<?x4xf32> loc("/swiglu/gate/MatMul")
    %s = llmopt.silu %g : tensor<?x4xf32>
    %wu = llmopt.constant dense<[[0.0, 1.0], [0.0, 1.0], [0.0, 0.5], [0.0, 2.0]]> : tensor<4x2xf32>
    %u = llmopt.linear %x, %wu : (tensor<?x2xf32>, tensor<4x2xf32>) -> tensor<?x4xf32> loc("/swiglu/up/MatMul")
    %p = llmopt.mul %s, %u : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    %wd = llmopt.constant dense<[[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
    %y = llmopt.linear %p, %wd : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32> loc("/swiglu/down/MatMul")
    return %y : tensor<?x2xf32>
  }

  func.func @flattened(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
    %w1 = llmopt.constant dense<[[1.0, 0.0], [3.0, 4.0], [0.0, 2.0], [1.0, 1.0]]> : tensor<4x2xf32>
    %h = llmopt.linear %x, %w1 {activation = "gelu_tanh"} : (tensor<?x2xf32>, tensor<4x2xf32>) -> tensor<?x4xf32> loc("/flat/up/Gemm")
    %r = llmopt.reshape_to %h {shape = ["batch", "seq", 4]} : tensor<?x4xf32> -> tensor<?x?x4xf32>
    %f = llmopt.reshape %r [-1, 4] : tensor<?x?x4xf32> -> tensor<?x4xf32>
    %w2 = llmopt.constant dense<[[1.0, 0.0, 2.0, 0.0], [1.0, 0.1, 0.0, 3.0]]> : tensor<2x4xf32>
    %y = llmopt.linear %f, %w2 : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32> loc("/flat/down/Gemm")
    return %y : tensor<?x2xf32>
  }
}
