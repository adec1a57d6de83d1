// RUN: llmopt-opt %s -split-input-file --llmopt-kv-cache="max-seq=32 required=true" -verify-diagnostics

// Asked for (llmopt compile --max-seq): a cache longer than the position table is an error.
// expected-error @+1 {{no KV cache: max-seq 32 exceeds the 16 positions of the model's position table}}
func.func @beyond_table(%ids: tensor<?x?xi64> {llmopt.dim_names = ["batch", "seq"]}, %qkv: tensor<?x?x6x4xf32>) -> (tensor<1x?x8xf32>, tensor<?x?x2x4xf32>) {
  %wpe = llmopt.constant dense<1.0> : tensor<16x8xf32>
  %pos = llmopt.range {delta = 1.0 : f64, shape = ["seq"], start = 0.0 : f64} : tensor<?xi64>
  %p2 = llmopt.reshape %pos [1, -1] : tensor<?xi64> -> tensor<1x?xi64>
  %e = llmopt.gather %wpe, %p2 {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
  %a = llmopt.packed_attention %qkv {causal = true, kv_heads = 2 : i64, scale = 0.5 : f32} : (tensor<?x?x6x4xf32>) -> tensor<?x?x2x4xf32>
  return %e, %a : tensor<1x?x8xf32>, tensor<?x?x2x4xf32>
}

// -----

// expected-error @+1 {{the model has no causal attention}}
func.func @no_attention(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
