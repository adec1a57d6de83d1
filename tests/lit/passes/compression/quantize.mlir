// RUN: llmopt-opt %s -split-input-file --llmopt-quantize=mode=int8 | FileCheck %s --check-prefix=INT8
// RUN: llmopt-opt %s -split-input-file --llmopt-quantize=mode=int8-weight | FileCheck %s --check-prefix=W8
// RUN: llmopt-opt %s -split-input-file --llmopt-quantize="mode=int4 group-size=2" | FileCheck %s --check-prefix=INT4
// RUN: llmopt-opt %s -split-input-file --llmopt-quantize=mode=fp16 | FileCheck %s --check-prefix=F16
// RUN: llmopt-opt %s -split-input-file --llmopt-quantize=mode=bf16 | FileCheck %s --check-prefix=BF16
// RUN: llmopt-opt %s -split-input-file --llmopt-quantize="mode=int8 keep-fp32=/fc1/*" | FileCheck %s --check-prefix=KEEP
// RUN: llmopt-opt %s -split-input-file --llmopt-quantize="mode=int8 rules=op:linear=fp32,/fc2/*=int4 lm-head=fp16" | FileCheck %s --check-prefix=RULES
// RUN: llmopt-opt %s -split-input-file --llmopt-quantize="mode=int8 embeddings=false" | FileCheck %s --check-prefix=NOEMB

// Two layers and a table. Weights: fc1 [2, 4] (row 1 all zeros), fc2 [K=2, N=2] under a
// transpose (how MatMul exports arrive), the head is the linear feeding the return.
func.func @mlp(%ids: tensor<3xi64>) -> tensor<3x2xf32> {
  %table = llmopt.constant dense<[[1.0, -2.0, 0.5, 0.25], [4.0, 3.0, -1.0, 0.0], [0.5, 0.5, 0.5, 0.5]]> : tensor<3x4xf32>
  %x = llmopt.gather %table, %ids {axis = 0 : i64} : (tensor<3x4xf32>, tensor<3xi64>) -> tensor<3x4xf32> loc("/emb/Gather")
  %w1 = llmopt.constant dense<[[1.0, -2.0, 0.5, 0.25], [0.0, 0.0, 0.0, 0.0]]> : tensor<2x4xf32>
  %b1 = llmopt.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %h = llmopt.linear %x, %w1, %b1 : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32> loc("/fc1/MatMul")
  %w2kn = llmopt.constant dense<[[2.0, 0.0], [-1.0, 1.0]]> : tensor<2x2xf32>
  %w2 = llmopt.transpose %w2kn [1, 0] : tensor<2x2xf32> -> tensor<2x2xf32>
  %y = llmopt.linear %h, %w2 : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32> loc("/fc2/MatMul")
  return %y : tensor<3x2xf32>
}

// W8A8: int8 per output channel, scale = max|w| / 127; an all-zero row gets scale 0. The table
// is int8 per row; the transpose of fc2's weight is read through and erased.
// INT8-LABEL: func.func @mlp
// INT8-DAG: %[[T:.*]] = llmopt.constant dense<{{\[}}[64, -127, 32, 16], [127, 95, -32, 0], [127, 127, 127, 127]]> : tensor<3x4xi8>
// INT8-DAG: %[[TS:.*]] = llmopt.constant dense<[0.0157480314, 0.0314960629, 0.00393700786]> : tensor<3xf32>
// INT8: %[[X:.*]] = llmopt.quantized_gather %[[T]], %{{.*}} scale %[[TS]] {group_size = 0 : i64, mode = "int8"}
// INT8-DAG: %[[W1:.*]] = llmopt.constant dense<{{\[}}[64, -127, 32, 16], [0, 0, 0, 0]]> : tensor<2x4xi8>
// INT8-DAG: %[[S1:.*]] = llmopt.constant dense<[0.0157480314, 0.000000e+00]> : tensor<2xf32>
// INT8: %[[H:.*]] = llmopt.quantized_linear %[[X]], %[[W1]] scale %[[S1]] bias %{{.*}} {group_size = 0 : i64, mode = "int8"}
// INT8-DAG: %[[W2:.*]] = llmopt.constant dense<{{\[}}[127, -64], [0, 127]]> : tensor<2x2xi8>
// INT8: llmopt.quantized_linear %[[H]], %[[W2]] scale %{{.*}} {group_size = 0 : i64, mode = "int8"}
// INT8-NOT: llmopt.transpose
// INT8-NOT: llmopt.linear
// INT8-NOT: tensor<3x4xf32>

// int8-weight: the same storage, another mode; the table is "int8" (tables have no activations).
// W8-LABEL: func.func @mlp
// W8: llmopt.quantized_gather {{.*}} mode = "int8"
// W8: llmopt.quantized_linear {{.*}} mode = "int8-weight"
// W8: llmopt.quantized_linear {{.*}} mode = "int8-weight"

// int4, groups of 2: q in 0..15 over [min, max] of each group, fp16 scale and offset. Row 0 of
// fc1: groups [1, -2] (offset -2, scale 0.2) and [0.5, 0.25] (offset 0.25, scale 1/60).
// The head (fc2) defaults to int8 (W8A8) in int4 models, the table to int8.
// INT4-LABEL: func.func @mlp
// INT4: llmopt.quantized_gather {{.*}} mode = "int8"
// INT4-DAG: %[[Q:.*]] = llmopt.constant dense<{{\[}}[15, 0, 15, 0], [0, 0, 0, 0]]> : tensor<2x4xui4>
// INT4-DAG: %[[S:.*]] = llmopt.constant dense<{{\[}}[1.999510e-01, 1.666260e-02], [0.000000e+00, 0.000000e+00]]> : tensor<2x2xf16>
// INT4-DAG: %[[O:.*]] = llmopt.constant dense<{{\[}}[-2.000000e+00, 2.500000e-01], [0.000000e+00, 0.000000e+00]]> : tensor<2x2xf16>
// INT4: llmopt.quantized_linear %{{.*}}, %[[Q]] scale %[[S]] offset %[[O]] bias %{{.*}} {group_size = 2 : i64, mode = "int4"}
// INT4: llmopt.quantized_linear {{.*}} mode = "int8"

// 16-bit weights: no scale.
// F16-LABEL: func.func @mlp
// F16: llmopt.quantized_gather %{{.*}}, %{{.*}} {group_size = 0 : i64, mode = "fp16"} : (tensor<3x4xf16>, tensor<3xi64>) -> tensor<3x4xf32>
// F16: llmopt.quantized_linear %{{.*}}, %{{.*}} bias %{{.*}} {group_size = 0 : i64, mode = "fp16"} : (tensor<3x4xf32>, tensor<2x4xf16>, tensor<2xf32>) -> tensor<3x2xf32>
// BF16-LABEL: func.func @mlp
// BF16: tensor<2x2xbf16>

// keep-fp32 leaves matching layers alone.
// KEEP-LABEL: func.func @mlp
// KEEP: llmopt.quantized_gather
// KEEP: llmopt.linear {{.*}} : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>)
// KEEP: llmopt.quantized_linear {{.*}} mode = "int8"

// Rules apply in order, the last match winning: every linear fp32, then fc2 int4 (it is also
// the head: lm-head=fp16 is only its default, which rules override).
// RULES-LABEL: func.func @mlp
// RULES: llmopt.quantized_gather {{.*}} mode = "int8"
// RULES: llmopt.linear {{.*}} : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>)
// RULES: llmopt.quantized_linear {{.*}} mode = "int4"

// NOEMB-LABEL: func.func @mlp
// NOEMB: llmopt.gather
// NOEMB: llmopt.quantized_linear

// -----

// The LM head alone follows lm-head: int4 models keep it in int8 (W8A8) unless told otherwise.
// INT4-LABEL: func.func @head_through_reshape
// INT4: llmopt.quantized_linear {{.*}} mode = "int8"
// INT4: llmopt.reshape
// INT8-LABEL: func.func @head_through_reshape
// INT8: mode = "int8"
func.func @head_through_reshape(%x: tensor<2x4xf32>) -> tensor<1x4xf32> {
  %w = llmopt.constant dense<[[1.0, -2.0, 0.5, 0.25], [1.0, 1.0, 1.0, 1.0]]> : tensor<2x4xf32>
  %y = llmopt.linear %x, %w : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x2xf32> loc("/head/MatMul")
  %r = llmopt.reshape %y [1, 4] : tensor<2x2xf32> -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
