// RUN: llmopt-opt %s --llmopt-kv-cache="cache-type=f8" -verify-diagnostics

// The cache holds fp32 or fp16 keys and values, nothing else (a YAML pipeline can ask for any
// string).
// expected-error @+1 {{cache-type 'f8' is not f32, f16 or i8}}
func.func @decoder(%qkv: tensor<?x?x6x4xf32>) -> tensor<?x?x2x4xf32> {
  %a = llmopt.packed_attention %qkv {causal = true, kv_heads = 2 : i64, scale = 0.5 : f32} : (tensor<?x?x6x4xf32>) -> tensor<?x?x2x4xf32>
  return %a : tensor<?x?x2x4xf32>
}
