//===- Passes.td - llmopt passes ------------------------------------------===//
#ifndef LLMOPT_PASSES_TD
#define LLMOPT_PASSES_TD

include "mlir/Pass/PassBase.td"

def RecognizeLinear : Pass<"llmopt-recognize-linear", "mlir::func::FuncOp"> {
  let summary = "Turn matmuls with constant weights (and their bias adds) into llmopt.linear";
  let description = [{
    Exporters write a fully connected layer as `MatMul(x, W) + b` (PyTorch, W stored [K, N]) or
    `Gemm(x, W, b, transB=1)` (W stored [N, K]). This pass rewrites both into
    `llmopt.linear(x, Wnk, b)`, the op the compression passes and kernels work on:

    - `matmul(x, W)` with W a constant [K, N] becomes `linear(x, transpose(W))`; the transpose
      of a constant is not folded: the backend reads it in place while packing, so no weight is
      copied. `matmul(x, transpose(C))` uses C [N, K] directly.
    - `add(linear(x, W), b)` with b a constant that broadcasts along N only folds b into the
      bias (`fold-bias=false` keeps them apart); a bias-less `quantized_linear` (from an
      already-quantized ONNX model) takes its bias the same way.
    - `mul(linear(x, W, b), s)` with s a scalar constant (Gemm's alpha) scales W and b.
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
  let options = [
    Option<"foldBias", "fold-bias", "bool", /*default=*/"true",
           "Fold constant bias adds into the linear">,
    Option<"minFeatures", "min-features", "int64_t", /*default=*/"1",
           "Leave matmuls whose weight has fewer input or output features than this alone">,
  ];
}

def FuseActivations : Pass<"llmopt-fuse-activations", "mlir::func::FuncOp"> {
  let summary = "Fuse decomposed activations (GELU in erf and tanh forms, SiLU) into one op";
  let description = [{
    Exporters write GELU as the arithmetic of its formula; each form becomes one `llmopt.gelu`:

    - `gelu-erf`: `0.5 · x · (1 + erf(x / √2))` (or `x · (1/√2)`) → `gelu {approximate = "none"}`
    - `gelu-tanh`: `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))` (x³ as `pow(x, 3)` or
      `x · x · x`) → `gelu {approximate = "tanh"}`

    Operands of the products and sums match in any order, the outer product in either
    association; constants within 1e-6 relative.
    - `silu`: `x · sigmoid(x)` → `silu` (Llama's SwiGLU gate).

    `disable` names fusions to leave alone (for bisecting a numerical difference).
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
  let options = [
    ListOption<"disable", "disable", "std::string",
               "Fusions to skip: gelu-erf, gelu-tanh, silu">,
  ];
}

def FuseEpilogues : Pass<"llmopt-fuse-epilogues", "mlir::func::FuncOp"> {
  let summary = "Fuse activations and residual adds into the linear layer before them";
  let description = [{
    The work after a linear layer's product moves into its epilogue (`llmopt.linear` and
    `llmopt.quantized_linear` alike), so no tensor is written and read back between them:
    - `activation`: gelu (either form), silu or relu of a linear's only use →
      `linear {activation = ...}`;
    - `residual`: `linear + r` (either order; r of exactly the result's type, no broadcast) →
      `linear residual r`, after the activation if there is one. With the residual add of the
      attention output and of the MLP folded in, the next norm reads the sum directly
      (ONNX Runtime's SkipLayerNorm does the add inside the norm instead).
    The new layer keeps the old one's location, so layer names (reports, rules) do not change.
    `disable` names the fusions to leave alone: activation, residual.
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
  let options = [
    ListOption<"disable", "disable", "std::string", "Fusions to skip: activation, residual">,
  ];
}

def FuseAttention : Pass<"llmopt-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Fuse scaled dot-product attention (scale, masks, RoPE, GQA repeat, softmax) into one op";
  let description = [{
    Matches `matmul(softmax(masks(scale(matmul(q, kᵀ)))), v)` with the heads split by
    transposes of [B, S, H, D] tensors, and replaces it by `llmopt.attention(q, k, v)` (heads in
    place, flash-style kernel, no [S, S] scores). The scale is a Div or Mul by a scalar constant
    (or absent). Masks, any number in any order: causal ones however the exporter built them
    (`where(keep, s, fill)`, `where(drop, fill, s)` with fill at most −1e30, or `s + M`), when
    the mask depends on constants and symbols only and evaluates to the causal pattern at every
    probed sequence length; and per-key additive masks [B or 1, 1, 1, Sk] (padding), which
    become `key_bias`. Rotate-half RoPE applied to q and k with the same tables and the
    grouped-query repeat (reshape/expand/reshape) of k and v are absorbed too. Anything else is
    left unfused.
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
}

def FuseNorms : Pass<"llmopt-fuse-norms", "mlir::func::FuncOp"> {
  let summary = "Fuse RMSNorm and LayerNorm written out as arithmetic into rms_norm / layer_norm";
  let description = [{
    - `rms-norm`: `x · (1 / sqrt(reduce_mean(x², last axis, keepdims) + eps))` (x² as
      `pow(x, 2)` or `x · x`; the reciprocal as `div(1, ·)` or `reciprocal`), optionally times a
      constant weight vector, becomes `rms_norm(x, weight)` (a weight of ones when there is
      none): one pass over the row instead of six ops.
    - `layer-norm`: with `mean = reduce_mean(x)` and `var = reduce_mean((x - mean)²)` over the
      same trailing dims [axis, rank) (keepdims), `(x - mean) / sqrt(var + eps)` (or
      `· 1/sqrt(·)` as above), optionally `· gamma` then `+ beta`, becomes
      `layer_norm(x, gamma, beta)`; so does keras' `x · a + (beta - mean · a)` with
      `a = 1/sqrt(var + eps)` (optionally `· gamma`). eps is a scalar constant; gamma and beta
      have the normalised dims' shape (leading 1s allowed); no gamma is a scale of ones.

    Operands match in any order. `disable` names fusions to leave alone.
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
  let options = [
    ListOption<"disable", "disable", "std::string", "Fusions to skip: rms-norm, layer-norm">,
  ];
}

def PackProjections : Pass<"llmopt-pack-projections", "mlir::func::FuncOp"> {
  let summary = "Stack projections that read the same input into one linear (packed QKV, SwiGLU)";
  let description = [{
    One wider product instead of two or three narrow ones, and no copies between them:
    - `qkv`: an attention whose query, key and value are head-split reshapes of three linears
      of one input becomes one linear with the Q, K and V rows stacked, reshaped to
      [B, S, H + 2·Hkv, D], and `llmopt.packed_attention`, which reads the three parts in place.
      An attention whose q, k and v are the head-split reshapes of three consecutive last-axis
      slices of one tensor (GPT-2's Conv1D + Split) becomes `packed_attention` of that tensor.
    - `gate-up`: `silu(gate(x)) · up(x)` (the SiLU standalone or in the gate's epilogue) becomes
      one linear with the gate and up rows stacked and the "swiglu" epilogue.
    Both apply to `llmopt.linear` with constant f32 weights and to `llmopt.quantized_linear` of
    one mode and group size; the layers must have no other use and no epilogue of their own, and
    biases on all of them or none. The packed layer is named after its parts
    (".../attn/{q_proj+k_proj+v_proj}/MatMul"). The compiler runs this pass after quantization,
    so per-layer rules and the report still see the separate layers. `disable` names the
    packings to leave alone.
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
  let options = [
    ListOption<"disable", "disable", "std::string", "Packings to skip: qkv, gate-up">,
  ];
}

def LowerOnnxQuant : Pass<"llmopt-lower-onnx-quant", "mlir::func::FuncOp"> {
  let summary = "Rewrite already-quantized ONNX models (ONNX Runtime's tools) into llmopt's quantized ops";
  let description = [{
    The importer maps QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and MatMulInteger
    one to one. This pass rewrites the forms ONNX Runtime's quantization tools write:

    - quantize_dynamic: `DynamicQuantizeLinear(x) → MatMulInteger(·, Wq) → Cast → Mul(sx·sw)`
      becomes `quantized_linear` in mode `int8` (W8A8). llmopt quantizes the activations per
      token to int8 where ONNX Runtime used one uint8 scale per tensor: the result differs by
      quantization noise and is never coarser. `DequantizeLinear(Gather(Tq, ids))` becomes a
      Gather of the dequantized table.
    - QDQ (quantize_static): a `QuantizeLinear → DequantizeLinear` pair on an activation becomes
      `fake_quantize` (bit-faithful); `MatMul(x, DequantizeLinear(Wq))` (Gemm's transposed form
      included) becomes `quantized_linear` in mode `int8-weight`.
    - `DequantizeLinear` of any other constant (int32 biases, norm weights) folds to f32.

    Weights keep their integers and scales when every `q - zero_point` fits in int8 (symmetric
    weights, the tools' default); otherwise they are re-quantized symmetrically per channel, with
    a warning. Anything else these four ops appear in is an error naming the ONNX node.
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
}

def KvCache : Pass<"llmopt-kv-cache", "mlir::func::FuncOp"> {
  let summary = "Give a decoder's causal attention a KV cache, so that the runtime can generate token by token";
  let description = [{
    A decoder exported without past keys and values (`input_ids → logits`) recomputes the whole
    prefix for every new token. Once attention is fused and known to be causal, the incremental
    form follows from the graph alone: every causal self-attention becomes one layer of a KV
    cache (`kv_cache = n`) and the position ranges of the sequence (`llmopt.range` from 0 over a
    sequence dim of an input) start after the cached positions (`offset_by_cache`). The runtime
    keeps, per layer, keys and values for up to `max-seq` positions; a session's prefill and step
    append the new tokens' keys and values in place and attend to the whole cache. A plain run is
    unchanged.

    `max-seq` 0 (the default) takes the model's limit: the rows of the position-embedding tables
    the ranges index, or 2048 when positions are computed (rotary embeddings). The function gets
    `llmopt.kv_cache_max_seq`, and `llmopt.kv_cache_type` (`cache-type`: `f32`; `f16`, which
    halves the cache a decoding step streams and rounds the cached keys and values to fp16; or
    `i8`, a quarter of the bytes, each position's key and value per kv head in int8 with an fp32
    scale).

    The model qualifies when every attention is causal with no padding mask and every range over
    a sequence dim starts at 0; otherwise the pass leaves it as it is, with a warning (an error
    with `required`). Models without attention (or with non-causal attention only: encoders) are
    left alone silently.

    ```mlir
    %pos = llmopt.range {delta = 1.0 : f64, offset_by_cache, shape = ["seq"], start = 0.0 : f64} : tensor<?xi64>
    %y = llmopt.packed_attention %qkv {causal = true, kv_cache = 0 : i64, kv_heads = 4 : i64, scale = 0.25 : f32}
    ```
  }];
  let options = [
    Option<"maxSeq", "max-seq", "int64_t", /*default=*/"0",
           "Positions the cache holds (0: the model's limit)">,
    Option<"required", "required", "bool", /*default=*/"false",
           "Fail when the model has attention but does not qualify">,
    Option<"cacheType", "cache-type", "std::string", /*default=*/"\"f32\"",
           "Element type of the cached keys and values: f32, f16 (half the bytes a "
           "decoding step reads) or i8 (a quarter, with a scale per position)">,
  ];
  let dependentDialects = ["llmopt::LLMOptDialect"];
}

def Quantize : Pass<"llmopt-quantize", "mlir::func::FuncOp"> {
  let summary = "Store linear weights (and embedding tables) in int8, int4, fp16 or bf16";
  let description = [{
    Replaces each `llmopt.linear` whose weight is a constant by an `llmopt.quantized_linear`
    holding the weight in the chosen precision with its scales (and offsets), and each
    `llmopt.gather` of a constant 2-D table along axis 0 by an `llmopt.quantized_gather`:

    - `int8`: W8A8. Weights int8, symmetric per output channel; activations are quantized per
      token at run time and multiplied in int8 with int32 accumulation. Tables: int8 per row.
    - `int8-weight`: int8 weights per output channel, fp32 activations.
    - `int4`: 4-bit weights in groups of `group-size` input features, each group with an fp16
      scale and offset (q in 0..15 spans the group's range).
    - `fp16`, `bf16`: 16-bit weights.

    Which layers get which precision: every layer gets `mode`, then `rules` apply in order,
    the last one that matches a layer winning, then `keep-fp32`. A rule is `SELECTOR=MODE` with
    MODE one of the modes or `fp32`, and SELECTOR a glob over the layer's name (its ONNX node
    name, e.g. `/blocks.0/attn/q/MatMul`), or `op:linear` / `op:gather` for an op kind, or
    `lm-head` for the last linear before a model output. `lm-head` (the option) sets that layer's
    default: `auto` keeps `mode`, except that int4 models keep their head in int8 (W8A8).
    Embedding tables follow `mode` too, except in int4 models, whose tables default to int8
    (a rule such as `op:gather=int4` overrides that).
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"int8\"",
           "int8 (W8A8), int8-weight, int4, fp16 or bf16">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"64",
           "int4: input features per group (32, 64 or 128 are usual)">,
    ListOption<"rules", "rules", "std::string",
               "SELECTOR=MODE overrides, applied in order (last match wins)">,
    ListOption<"keepFp32", "keep-fp32", "std::string",
               "Globs over layer names left in fp32 (applied after rules)">,
    Option<"embeddings", "embeddings", "bool", /*default=*/"true",
           "Quantize embedding tables (gathers of constant tables) too">,
    Option<"lmHead", "lm-head", "std::string", /*default=*/"\"auto\"",
           "Precision of the last linear before an output: auto, fp32 or a mode">,
  ];
}

def Smooth : Pass<"llmopt-smooth", "mlir::ModuleOp"> {
  let summary = "SmoothQuant: move activation outliers into the weights before int8 quantization";
  let description = [{
    For each normalisation whose output feeds only linear layers (a `layer_norm`, an
    `rms_norm`, or a `mul` by a constant vector such as an unfused RMSNorm's weight), divides
    input channel j by

        s_j = max|x_j|^alpha / max|W_:,j|^(1 - alpha)

    and multiplies column j of every consuming linear's weight by s_j, so the product is
    unchanged while the activations the int8 kernels quantize per token lose their outlier
    channels. The division is folded into the norm's scale (and bias). max|x_j| comes from the
    module's `llmopt.calibration` attribute (the calibration run: `--calib`); the pass fails
    without it. Layers it smooths get their statistics updated and their factors recorded in
    `llmopt.smoothing`.
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
  let options = [
    Option<"alpha", "alpha", "double", /*default=*/"0.5",
           "Migration strength in [0, 1]: 0 leaves activations alone, 1 moves all to weights">,
  ];
}

def Prune : Pass<"llmopt-prune", "mlir::ModuleOp"> {
  let summary = "Structured pruning: remove whole attention heads and FFN channels";
  let description = [{
    Removes the least important units of each block and rewrites every weight, bias, reshape and
    type they touch, so the runtime multiplies smaller matrices (not zeros):

    - `ffn`: an MLP `down(act(up(x)))` (the activation standalone or in `up`'s epilogue) or
      SwiGLU `down(silu(gate(x)) · up(x))`: channel j is row j of `up` (and `gate`) with its
      bias entry, and column j of `down`.
    - `heads`: an `llmopt.attention` whose query, key and value are head-split reshapes of
      linears and whose result reaches one output projection through the merging reshape:
      head h is rows [h·D, (h+1)·D) of the Q (and, with one query head per key/value head, K
      and V) projections and the same columns of the output projection. With grouped-query
      attention (H / Hkv = G > 1) the key/value heads stay and each group loses the same number
      of query heads, so query head i still reads key/value head i / G'. GPT-2's form (Q, K and
      V consecutive last-axis slices of one projection, the merged heads flattened before the
      output projection) loses head h's rows in each of the projection's three sections.

    Each block keeps the units with the highest score, in their original order:
    - `magnitude`: the product of the unit's weight norms (its rows in `up`/`gate`/Q/K/V, its
      columns in `down`/output projection);
    - `activation` (Wanda-style, needs `--calib`): the root mean square of the unit's input to
      `down` (or the output projection) over the calibration rows (`llmopt.calibration_rms`)
      times the norm of its columns there: the size of what the unit adds to the output.

    `ffn` and `heads` are the fraction of each block's units removed (rounded to the nearest
    unit); `rules` (`GLOB=FRACTION`, last match wins) set another fraction for the blocks whose
    `down` / output projection's name matches. With `global`, they are the fraction of all the
    model's FFN channels (heads) removed: the lowest-scored across blocks go, so blocks lose
    different shares. Channels are ranked by their scores as they are (what a channel adds to
    the residual stream, comparable between MLPs); heads by their score over their block's mean
    (raw head scores follow each block's output scale); a grouped attention loses one head of
    every group at a time. A block keeps at least `min-heads` heads (one per
    group) and `min-ffn-channels` channels. What was removed is recorded in `llmopt.pruning`, and
    the layers' calibration statistics are cut to the channels left.
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
  let options = [
    Option<"heads", "heads", "double", /*default=*/"0.0",
           "Fraction of the attention heads of each block removed, in [0, 1)">,
    Option<"ffn", "ffn", "double", /*default=*/"0.0",
           "Fraction of the FFN channels of each block removed, in [0, 1)">,
    Option<"criterion", "criterion", "std::string", /*default=*/"\"magnitude\"",
           "magnitude (weight norms) or activation (calibration statistics x weight norms)">,
    ListOption<"headRules", "head-rules", "std::string",
               "GLOB=FRACTION: the heads fraction of attentions whose output projection matches">,
    ListOption<"ffnRules", "ffn-rules", "std::string",
               "GLOB=FRACTION: the FFN fraction of MLPs whose down projection matches">,
    Option<"minHeads", "min-heads", "int64_t", /*default=*/"1",
           "Heads every attention keeps at least">,
    Option<"minFfnChannels", "min-ffn-channels", "int64_t", /*default=*/"16",
           "FFN channels every MLP keeps at least (all of a smaller one)">,
    Option<"global", "global", "bool", /*default=*/"false",
           "Rank the units of all blocks together: the fractions are of the whole model">,
  ];
}

def LowRank : Pass<"llmopt-lowrank", "mlir::ModuleOp"> {
  let summary = "Low-rank factorization: a linear becomes two smaller ones from a truncated SVD";
  let description = [{
    Replaces `y = x · Wᵀ + b` (W [N, K]) by `t = x · Vᵀ` (V [r, K]) and `y = t · Uᵀ + b`
    (U [N, r]) from the truncated SVD W ≈ U_r Σ_r V_rᵀ (Eigen's BDCSVD; Σ_r^½ goes to each side),
    only where r is at most `margin` times the break-even rank N·K / (N + K), so that both the
    parameters and the multiply-adds drop. The second layer keeps the bias, the epilogue and the
    name (`<name>/lowrank_u`; the first is `<name>/lowrank_v`), so rules and reports still find
    them by the original name's prefix.

    The rank, by exactly one of:
    - `ratio` R: each layer keeps R of its parameters (r = ⌊R · N·K / (N + K)⌋);
    - `energy` E: the fewest singular values whose squares sum to E of the layer's total;
    - `budget` B: the layers that may be factorized keep B of their parameters in all, spread by
      sensitivity: step by step, the cut with the least relative error energy (the dropped
      Σ σᵢ² over the layer's; whitened, its relative output error on the calibration inputs) per
      parameter saved, over all layers — a layer's whole factorization at its largest rank
      under the margin, then 16 ranks at a time.
    `rules` (`GLOB=VALUE`, the last match wins) give the layers whose name matches another ratio
    or energy. From 16 up the rank is a multiple of 16, the kernels' panel width (rounded down
    for a ratio, up for an energy where that still fits under the margin).

    `criterion=activation` (needs `--calib`) whitens before truncating: it factorizes W · L with
    L the Cholesky factor of the layer's mean input x xᵀ over the calibration rows
    (`llmopt.calibration_gram`; SVD-LLM: the truncation error is then exactly the output's error
    on those inputs), or, without it, W · diag(input RMS) (`llmopt.calibration_rms`, ASVD), and
    folds the inverse back into V. `plain` factorizes W itself.

    Layers matching a `keep` glob, and the LM head unless `lm-head`, are left alone. What was
    factorized is recorded in `llmopt.lowrank` ({"layer" = {rank = r, n = N, k = K}}).
  }];
  let dependentDialects = ["llmopt::LLMOptDialect"];
  let options = [
    Option<"ratio", "ratio", "double", /*default=*/"0.0",
           "Fraction of each factorized layer's parameters kept, in (0, 1)">,
    Option<"energy", "energy", "double", /*default=*/"0.0",
           "Fraction of the squared singular values kept, in (0, 1]">,
    Option<"budget", "budget", "double", /*default=*/"0.0",
           "Fraction of the factorizable layers' parameters kept in all, spread by sensitivity, "
           "in (0, 1)">,
    ListOption<"rules", "rules", "std::string",
               "GLOB=VALUE: the ratio (or energy) of the layers whose name matches">,
    Option<"criterion", "criterion", "std::string", /*default=*/"\"plain\"",
           "plain (SVD of W) or activation (SVD of W scaled by the calibration RMS)">,
    Option<"margin", "margin", "double", /*default=*/"0.95",
           "Factorize only where the rank is at most this fraction of N·K / (N + K)">,
    ListOption<"keep", "keep", "std::string", "Globs over layer names left unfactorized">,
    Option<"lmHead", "lm-head", "bool", /*default=*/"false",
           "Factorize the last linear before a model output too">,
  ];
}

#endif // LLMOPT_PASSES_TD
