// RUN: llmopt-opt %s -split-input-file --llmopt-kv-cache -verify-diagnostics | FileCheck %s
// RUN: llmopt-opt %s -split-input-file --llmopt-kv-cache="max-seq=8" -verify-diagnostics | FileCheck %s --check-prefix=SHORT
// RUN: llmopt-opt %s -split-input-file --llmopt-kv-cache="cache-type=f16" -verify-diagnostics | FileCheck %s --check-prefix=HALF
// RUN: llmopt-opt %s -split-input-file --llmopt-kv-cache="cache-type=i8" -verify-diagnostics | FileCheck %s --check-prefix=INT8

// GPT-2's form: learned positions gathered by a range over the sequence, a packed causal
// attention per block. Each attention becomes a cache layer in order, the range continues after
// the cache, and the cache is as long as the position table.
// CHECK-LABEL: func.func @gpt2_form
// CHECK-SAME: llmopt.kv_cache_max_seq = 16 : i64, llmopt.kv_cache_type = "f32"
// CHECK: llmopt.range {delta = 1.000000e+00 : f64, offset_by_cache, shape = ["seq"], start = 0.000000e+00 : f64}
// CHECK: llmopt.packed_attention %{{.*}} {causal = true, kv_cache = 0 : i64, kv_heads = 2 : i64
// CHECK: llmopt.packed_attention %{{.*}} {causal = true, kv_cache = 1 : i64, kv_heads = 2 : i64
// SHORT-LABEL: func.func @gpt2_form
// SHORT-SAME: llmopt.kv_cache_max_seq = 8 : i64
// The cached keys and values in fp16 (llmopt compile --kv-cache-type; the default for the
// quantized modes without int8 activations).
// HALF-LABEL: func.func @gpt2_form
// HALF-SAME: llmopt.kv_cache_type = "f16"
// Or in int8 with a scale per position and kv head (the default for --quant int8 and int4).
// INT8-LABEL: func.func @gpt2_form
// INT8-SAME: llmopt.kv_cache_type = "i8"
func.func @gpt2_form(%ids: tensor<?x?xi64> {llmopt.dim_names = ["batch", "seq"]}, %qkv: tensor<?x?x6x4xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x2x4xf32>) {
  %wpe = llmopt.constant dense<1.0> : tensor<16x8xf32>
  %pos = llmopt.range {delta = 1.0 : f64, shape = ["seq"], start = 0.0 : f64} : tensor<?xi64>
  %p2 = llmopt.reshape %pos [1, -1] : tensor<?xi64> -> tensor<1x?xi64>
  %e = llmopt.gather %wpe, %p2 {axis = 0 : i64} : (tensor<16x8xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
  %x = llmopt.gather %wpe, %ids {axis = 0 : i64} : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %s = llmopt.add %x, %e : (tensor<?x?x8xf32>, tensor<1x?x8xf32>) -> tensor<?x?x8xf32>
  %a0 = llmopt.packed_attention %qkv {causal = true, kv_heads = 2 : i64, scale = 0.5 : f32} : (tensor<?x?x6x4xf32>) -> tensor<?x?x2x4xf32>
  %a1 = llmopt.packed_attention %qkv {causal = true, kv_heads = 2 : i64, scale = 0.5 : f32} : (tensor<?x?x6x4xf32>) -> tensor<?x?x2x4xf32>
  %y = llmopt.add %a0, %a1 : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x4xf32>
  return %s, %y : tensor<?x?x8xf32>, tensor<?x?x2x4xf32>
}

// -----

// Rotary positions are computed, not looked up: nothing bounds them, the cache gets 2048.
// CHECK-LABEL: func.func @rotary_form
// CHECK-SAME: llmopt.kv_cache_max_seq = 2048 : i64
// CHECK: offset_by_cache
// CHECK: llmopt.attention %{{.*}} rope(%{{.*}}, %{{.*}}) {causal = true, kv_cache = 0 : i64
func.func @rotary_form(%ids: tensor<?x?xi64> {llmopt.dim_names = ["batch", "seq"]}, %q: tensor<?x?x2x4xf32>, %k: tensor<?x?x1x4xf32>) -> tensor<?x?x2x4xf32> {
  %pos = llmopt.range {delta = 1.0 : f64, shape = ["seq"], start = 0.0 : f64} : tensor<?xi64>
  %p2 = llmopt.reshape %pos [-1, 1] : tensor<?xi64> -> tensor<?x1xi64>
  %f = llmopt.cast %p2 : tensor<?x1xi64> -> tensor<?x1xf32>
  %angles = llmopt.constant dense<[[1.0, 0.1, 1.0, 0.1]]> : tensor<1x4xf32>
  %t = llmopt.mul %f, %angles : (tensor<?x1xf32>, tensor<1x4xf32>) -> tensor<?x4xf32>
  %cos = llmopt.cos %t : tensor<?x4xf32>
  %sin = llmopt.sin %t : tensor<?x4xf32>
  %a = llmopt.attention %q, %k, %k rope(%cos, %sin) {causal = true, scale = 0.5 : f32} : (tensor<?x?x2x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?x1x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x?x2x4xf32>
  return %a : tensor<?x?x2x4xf32>
}

// -----

// An encoder (attention that is not causal) has nothing to cache: left alone, silently.
// CHECK-LABEL: func.func @encoder
// CHECK-NOT: kv_cache
// CHECK-NOT: offset_by_cache
// CHECK: return
func.func @encoder(%ids: tensor<?x?xi64> {llmopt.dim_names = ["batch", "seq"]}, %qkv: tensor<?x?x6x4xf32>) -> (tensor<?xi64>, tensor<?x?x2x4xf32>) {
  %pos = llmopt.range {delta = 1.0 : f64, shape = ["seq"], start = 0.0 : f64} : tensor<?xi64>
  %a = llmopt.packed_attention %qkv {causal = false, kv_heads = 2 : i64, scale = 0.5 : f32} : (tensor<?x?x6x4xf32>) -> tensor<?x?x2x4xf32>
  return %pos, %a : tensor<?xi64>, tensor<?x?x2x4xf32>
}

// -----

// A padding mask over the keys cannot follow a cache that grows: a warning, no cache.
// CHECK-LABEL: func.func @padding_mask
// CHECK-NOT: kv_cache
// expected-warning @+1 {{no KV cache (generation recomputes the prefix): an attention has a padding mask (key bias)}}
func.func @padding_mask(%ids: tensor<?x?xi64> {llmopt.dim_names = ["batch", "seq"]}, %qkv: tensor<?x?x6x4xf32>, %bias: tensor<?x?xf32>) -> tensor<?x?x2x4xf32> {
  %a = llmopt.packed_attention %qkv key_bias(%bias) {causal = true, kv_heads = 2 : i64, scale = 0.5 : f32} : (tensor<?x?x6x4xf32>, tensor<?x?xf32>) -> tensor<?x?x2x4xf32>
  return %a : tensor<?x?x2x4xf32>
}

// -----

// Positions that do not start at 0 are not the model's positions as the pass knows them.
// CHECK-LABEL: func.func @offset_positions
// CHECK-NOT: offset_by_cache
// expected-warning @+1 {{a range over the sequence does not count positions from 0}}
func.func @offset_positions(%ids: tensor<?x?xi64> {llmopt.dim_names = ["batch", "seq"]}, %qkv: tensor<?x?x6x4xf32>) -> (tensor<?xi64>, tensor<?x?x2x4xf32>) {
  %pos = llmopt.range {delta = 1.0 : f64, shape = ["seq"], start = 2.0 : f64} : tensor<?xi64>
  %a = llmopt.packed_attention %qkv {causal = true, kv_heads = 2 : i64, scale = 0.5 : f32} : (tensor<?x?x6x4xf32>) -> tensor<?x?x2x4xf32>
  return %pos, %a : tensor<?xi64>, tensor<?x?x2x4xf32>
}
