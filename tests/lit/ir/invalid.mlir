// RUN: llmopt-opt %s -split-input-file -verify-diagnostics

// Each verifier error of the llmopt ops, one per block.

func.func @add_broadcast_mismatch(%a: tensor<?x3xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'llmopt.add' op shapes [?, 3] and [4] do not broadcast}}
  %0 = llmopt.add %a, %b : (tensor<?x3xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @mul_broadcast_mismatch(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) -> tensor<3x3xf32> {
  // expected-error @+1 {{'llmopt.mul' op shapes [2, 3] and [3, 3] do not broadcast}}
  %0 = llmopt.mul %a, %b : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// A shape that broadcasts, but the declared result type is not the inferred one.
func.func @add_wrong_result(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'llmopt.add' op inferred type(s) 'tensor<?x4xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  %0 = llmopt.add %a, %b : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @sub_mixed_element_types(%a: tensor<4xf32>, %b: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @+1 {{'llmopt.sub' op operands must have the same element type}}
  %0 = llmopt.sub %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @div_not_numeric(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{'llmopt.div' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or 64-bit signless integer or 32-bit signless integer values}}
  %0 = llmopt.div %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

func.func @matmul_k_mismatch(%a: tensor<?x8x16xf32>, %b: tensor<15x4xf32>) -> tensor<?x8x4xf32> {
  // expected-error @+1 {{'llmopt.matmul' op matmul contraction dims differ: [?, 8, 16] · [15, 4]}}
  %0 = llmopt.matmul %a, %b : (tensor<?x8x16xf32>, tensor<15x4xf32>) -> tensor<?x8x4xf32>
  return %0 : tensor<?x8x4xf32>
}

// -----

func.func @matmul_batch_mismatch(%a: tensor<2x8x16xf32>, %b: tensor<3x16x4xf32>) -> tensor<3x8x4xf32> {
  // expected-error @+1 {{'llmopt.matmul' op matmul batch dims: shapes [2] and [3] do not broadcast}}
  %0 = llmopt.matmul %a, %b : (tensor<2x8x16xf32>, tensor<3x16x4xf32>) -> tensor<3x8x4xf32>
  return %0 : tensor<3x8x4xf32>
}

// -----

func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<4x4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'llmopt.matmul' op matmul operands must have rank >= 1}}
  %0 = llmopt.matmul %a, %b : (tensor<f32>, tensor<4x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @matmul_mixed_element_types(%a: tensor<2x4xf32>, %b: tensor<4x4xbf16>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'llmopt.matmul' op operands must have the same element type}}
  %0 = llmopt.matmul %a, %b : (tensor<2x4xf32>, tensor<4x4xbf16>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @linear_weight_rank(%x: tensor<?x16xf32>, %w: tensor<2x32x16xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'llmopt.linear' op linear weight must be [N, K], got [2, 32, 16]}}
  %0 = llmopt.linear %x, %w : (tensor<?x16xf32>, tensor<2x32x16xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @linear_k_mismatch(%x: tensor<?x16xf32>, %w: tensor<32x8xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'llmopt.linear' op linear input [?, 16] does not match weight [32, 8] (K differs)}}
  %0 = llmopt.linear %x, %w : (tensor<?x16xf32>, tensor<32x8xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @linear_bias_size(%x: tensor<?x16xf32>, %w: tensor<32x16xf32>, %b: tensor<16xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'llmopt.linear' op linear bias must be [32], got [16]}}
  %0 = llmopt.linear %x, %w, %b : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<16xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @linear_bias_rank(%x: tensor<?x16xf32>, %w: tensor<32x16xf32>, %b: tensor<1x32xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{'llmopt.linear' op linear bias must be [32], got [1, 32]}}
  %0 = llmopt.linear %x, %w, %b : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<1x32xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

func.func @linear_mixed_element_types(%x: tensor<?x16xf16>, %w: tensor<32x16xf32>) -> tensor<?x32xf16> {
  // expected-error @+1 {{'llmopt.linear' op operands must have the same element type}}
  %0 = llmopt.linear %x, %w : (tensor<?x16xf16>, tensor<32x16xf32>) -> tensor<?x32xf16>
  return %0 : tensor<?x32xf16>
}

// -----

func.func @reshape_two_inferred(%x: tensor<2x3x4xf32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{'llmopt.reshape' op reshape: more than one -1 in the target shape}}
  %0 = llmopt.reshape %x [-1, -1] : tensor<2x3x4xf32> -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

func.func @reshape_element_count(%x: tensor<2x3x4xf32>) -> tensor<5x5xf32> {
  // expected-error @+1 {{'llmopt.reshape' op reshape: [2, 3, 4] has 24 elements, target [5, 5] has 25}}
  %0 = llmopt.reshape %x [5, 5] : tensor<2x3x4xf32> -> tensor<5x5xf32>
  return %0 : tensor<5x5xf32>
}

// -----

func.func @reshape_inferred_not_divisible(%x: tensor<2x3x4xf32>) -> tensor<?x5xf32> {
  // expected-error @+1 {{'llmopt.reshape' op reshape: cannot reshape [2, 3, 4] to [-1, 5]}}
  %0 = llmopt.reshape %x [-1, 5] : tensor<2x3x4xf32> -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}

// -----

func.func @reshape_zero_past_rank(%x: tensor<?x12xf32>) -> tensor<?x3x4xf32> {
  // expected-error @+1 {{'llmopt.reshape' op reshape: target dim 2 is 0 (copy) but the input has rank 2}}
  %0 = llmopt.reshape %x [0, 3, 0] : tensor<?x12xf32> -> tensor<?x3x4xf32>
  return %0 : tensor<?x3x4xf32>
}

// -----

func.func @reshape_negative_dim(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  // expected-error @+1 {{'llmopt.reshape' op reshape: invalid target dim -2}}
  %0 = llmopt.reshape %x [-2] : tensor<2x3xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @transpose_not_permutation(%x: tensor<?x3x4xf32>) -> tensor<?x3x3xf32> {
  // expected-error @+1 {{'llmopt.transpose' op transpose: perm [0, 1, 1] is not a permutation}}
  %0 = llmopt.transpose %x [0, 1, 1] : tensor<?x3x4xf32> -> tensor<?x3x3xf32>
  return %0 : tensor<?x3x3xf32>
}

// -----

func.func @transpose_out_of_range(%x: tensor<3x4xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'llmopt.transpose' op transpose: perm [2, 0] is not a permutation}}
  %0 = llmopt.transpose %x [2, 0] : tensor<3x4xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @transpose_perm_size(%x: tensor<3x4xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'llmopt.transpose' op transpose: perm has 3 entries, input rank is 2}}
  %0 = llmopt.transpose %x [1, 0, 2] : tensor<3x4xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @softmax_axis_too_large(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  // expected-error @+1 {{'llmopt.softmax' op axis 2 is out of range for rank 2}}
  %0 = llmopt.softmax %x {axis = 2 : i64} : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Axes are normalised by the importer: a negative axis is an error in the IR.
func.func @softmax_axis_negative(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  // expected-error @+1 {{'llmopt.softmax' op axis -1 is out of range for rank 2}}
  %0 = llmopt.softmax %x {axis = -1 : i64} : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

func.func @gelu_bad_approximate(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'llmopt.gelu' op approximate must be "none" or "tanh", got "erf"}}
  %0 = llmopt.gelu %x {approximate = "erf"} : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @constant_not_tensor() -> tensor<2xf32> {
  // expected-error @+1 {{'llmopt.constant' op value must be a tensor}}
  %0 = llmopt.constant dense<1.0> : vector<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @gather_axis(%t: tensor<4x8xf32>, %i: tensor<3xi64>) -> tensor<3x8xf32> {
  // expected-error @+1 {{'llmopt.gather' op axis 2 is out of range for rank 2}}
  %0 = llmopt.gather %t, %i {axis = 2 : i64} : (tensor<4x8xf32>, tensor<3xi64>) -> tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

func.func @concat_dims(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{'llmopt.concat' op inputs differ in dim 0 (2 vs 4)}}
  %0 = llmopt.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @layer_norm_scale(%x: tensor<?x64xf32>, %g: tensor<32xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'llmopt.layer_norm' op scale and bias must have the shape of the normalised dims [64], got [32]}}
  %0 = llmopt.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x64xf32>, tensor<32xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @reduce_axes(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'llmopt.reduce_sum' op axes must be sorted, distinct and in [0, rank)}}
  %0 = llmopt.reduce_sum %x {axes = array<i64: 1, 1>, keepdims = false} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @range_rank() -> tensor<?x?xi64> {
  // expected-error @+1 {{'llmopt.range' op the result must be 1-D}}
  %0 = llmopt.range {delta = 1.0 : f64, shape = ["seq", "seq"], start = 0.0 : f64} : tensor<?x?xi64>
  return %0 : tensor<?x?xi64>
}

// -----

func.func @fill_shape(%x: tensor<2xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'llmopt.fill' op result dim 0 disagrees with `shape`}}
  %0 = llmopt.fill {shape = [4], value = 0.0 : f64} : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @quantized_unknown_mode(%x: tensor<2x4xf32>, %w: tensor<2x4xi8>, %s: tensor<2xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{unknown mode 'int3' (expected one of int8, int8-weight, int4, fp16, bf16)}}
  %y = llmopt.quantized_linear %x, %w scale %s {mode = "int3", group_size = 0 : i64} : (tensor<2x4xf32>, tensor<2x4xi8>, tensor<2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

func.func @quantized_wrong_storage(%x: tensor<2x4xf32>, %w: tensor<2x4xi8>) -> tensor<2x2xf32> {
  // expected-error @+1 {{mode 'fp16' stores weights as 'f16', got 'i8'}}
  %y = llmopt.quantized_linear %x, %w {mode = "fp16", group_size = 0 : i64} : (tensor<2x4xf32>, tensor<2x4xi8>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

func.func @quantized_int4_without_offset(%x: tensor<2x4xf32>, %w: tensor<2x4xui4>, %s: tensor<2x2xf16>) -> tensor<2x2xf32> {
  // expected-error @+1 {{mode 'int4' needs an offset operand}}
  %y = llmopt.quantized_linear %x, %w scale %s {mode = "int4", group_size = 2 : i64} : (tensor<2x4xf32>, tensor<2x4xui4>, tensor<2x2xf16>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

func.func @quantized_int4_groups(%x: tensor<2x4xf32>, %w: tensor<2x4xui4>, %s: tensor<2x3xf16>) -> tensor<2x2xf32> {
  // expected-error @+1 {{mode 'int4' needs a scale of 'f16' [2, 2], got 'tensor<2x3xf16>'}}
  %y = llmopt.quantized_linear %x, %w scale %s offset %s {mode = "int4", group_size = 2 : i64} : (tensor<2x4xf32>, tensor<2x4xui4>, tensor<2x3xf16>, tensor<2x3xf16>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

func.func @quantized_scale_per_channel(%x: tensor<2x4xf32>, %w: tensor<2x4xi8>, %s: tensor<3xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{mode 'int8' needs a scale of 'f32' [2], got 'tensor<3xf32>'}}
  %y = llmopt.quantized_linear %x, %w scale %s {mode = "int8", group_size = 0 : i64} : (tensor<2x4xf32>, tensor<2x4xi8>, tensor<3xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

func.func @quantized_gather_int8_weight(%t: tensor<4x2xi8>, %i: tensor<3xi64>, %s: tensor<4xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{a table is stored per row in mode 'int8', not 'int8-weight'}}
  %y = llmopt.quantized_gather %t, %i scale %s {mode = "int8-weight", group_size = 0 : i64} : (tensor<4x2xi8>, tensor<3xi64>, tensor<4xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @rms_norm_scale(%x: tensor<?x64xf32>, %g: tensor<32xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'llmopt.rms_norm' op scale [32] does not match [?, 64] from axis 1}}
  %0 = llmopt.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x64xf32>, tensor<32xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @rms_norm_epsilon(%x: tensor<?x64xf32>, %g: tensor<64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'llmopt.rms_norm' op epsilon must be finite and non-negative, got -1.000000e+00}}
  %0 = llmopt.rms_norm %x, %g {axis = 1 : i64, epsilon = -1.0 : f32} : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

func.func @attention_heads(%q: tensor<1x4x3x8xf32>, %k: tensor<1x4x2x8xf32>) -> tensor<1x4x3x8xf32> {
  // expected-error @+1 {{'llmopt.attention' op query heads [1, 4, 3, 8] must be a static multiple of the key/value heads [1, 4, 2, 8]}}
  %0 = llmopt.attention %q, %k, %k {causal = true, scale = 0.5 : f32} : (tensor<1x4x3x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>) -> tensor<1x4x3x8xf32>
  return %0 : tensor<1x4x3x8xf32>
}

// -----

func.func @attention_rope_table(%q: tensor<1x4x2x8xf32>, %cos: tensor<4x6xf32>) -> tensor<1x4x2x8xf32> {
  // expected-error @+1 {{'llmopt.attention' op rope tables must be [Sk, D] = [4, 8], not [4, 6]}}
  %0 = llmopt.attention %q, %q, %q rope(%cos, %cos) {causal = true, scale = 0.5 : f32} : (tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<1x4x2x8xf32>
  return %0 : tensor<1x4x2x8xf32>
}

// -----

func.func @attention_key_bias(%q: tensor<2x4x2x8xf32>, %bias: tensor<2x3xf32>) -> tensor<2x4x2x8xf32> {
  // expected-error @+1 {{'llmopt.attention' op key_bias must be [B or 1, Sk], not [2, 3] for keys [2, 4, 2, 8]}}
  %0 = llmopt.attention %q, %q, %q key_bias(%bias) {causal = false, scale = 0.5 : f32} : (tensor<2x4x2x8xf32>, tensor<2x4x2x8xf32>, tensor<2x4x2x8xf32>, tensor<2x3xf32>) -> tensor<2x4x2x8xf32>
  return %0 : tensor<2x4x2x8xf32>
}

// -----

func.func @linear_activation(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'llmopt.linear' op activation "swish" is none of none, gelu, gelu_tanh, silu, relu}}
  %0 = llmopt.linear %x, %w {activation = "swish"} : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @linear_residual(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %r: tensor<1x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'llmopt.linear' op residual 'tensor<1x4xf32>' must have the result's type 'tensor<2x4xf32>'}}
  %0 = llmopt.linear %x, %w residual %r : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @packed_attention_heads(%qkv: tensor<1x4x5x8xf32>) -> tensor<1x4x1x8xf32> {
  // expected-error @+1 {{'llmopt.packed_attention' op qkv [1, 4, 5, 8] must hold H + 2·2 static heads with H a positive multiple of kv_heads = 2}}
  %y = llmopt.packed_attention %qkv {causal = true, kv_heads = 2 : i64, scale = 1.0 : f32} : (tensor<1x4x5x8xf32>) -> tensor<1x4x1x8xf32>
  return %y : tensor<1x4x1x8xf32>
}

// -----

func.func @packed_attention_rope(%qkv: tensor<1x4x3x8xf32>, %t: tensor<4x6xf32>) -> tensor<1x4x1x8xf32> {
  // expected-error @+1 {{'llmopt.packed_attention' op rope tables must be [Sk, D] = [4, 8], not [4, 6]}}
  %y = llmopt.packed_attention %qkv rope(%t, %t) {causal = true, kv_heads = 1 : i64, scale = 1.0 : f32} : (tensor<1x4x3x8xf32>, tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<1x4x1x8xf32>
  return %y : tensor<1x4x1x8xf32>
}

// -----

func.func @swiglu_odd_rows(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) -> tensor<2x1xf32> {
  // expected-error @+1 {{'llmopt.linear' op activation "swiglu" needs an even, static number of rows (gate and up stacked), got 3}}
  %y = llmopt.linear %x, %w {activation = "swiglu"} : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}
