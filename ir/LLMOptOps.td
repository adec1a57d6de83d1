//===- LLMOptOps.td - ops of the llmopt dialect ---------------------------===//
#ifndef LLMOPT_OPS_TD
#define LLMOPT_OPS_TD

include "ir/LLMOptBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def LLMOpt_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def LLMOpt_NumericTensor : RankedTensorOf<[F32, F16, BF16, I64, I32]>;
def LLMOpt_BoolTensor : RankedTensorOf<[I1]>;
def LLMOpt_IndexTensor : RankedTensorOf<[I64, I32]>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def LLMOpt_ConstantOp : LLMOpt_Op<"constant",
    [ConstantLike, Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "a constant tensor (weights, biases, scalars)";
  let description = [{
    Holds a tensor known at compile time. Imported weights are `dense_resource` attributes that
    point at the bytes of the ONNX file (no copy); small constants are `dense`.

    ```mlir
    %w = llmopt.constant dense_resource<fc1.weight> : tensor<32x16xf32>
    %s = llmopt.constant dense<0.5> : tensor<f32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def LLMOpt_LinearOp : LLMOpt_Op<"linear",
    [Pure, AttrSizedOperandSegments, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "fully connected layer: y = x · Wᵀ + b";
  let description = [{
    `input` is [..., K], `weight` is [N, K] (PyTorch's `nn.Linear` layout: one row per output
    feature), the optional `bias` is [N]; the result is [..., N]. This is the op every
    compression pass works on: pruning drops rows of `weight`, low-rank splits it in two,
    quantization replaces it.

    The epilogue (llmopt-fuse-epilogues) may apply an `activation` ("gelu", "gelu_tanh",
    "silu", "relu"; default "none") and then add a `residual` of the result's shape:
    y = act(x · Wᵀ + b) + residual. With "swiglu" (llmopt-pack-projections: a gate and an up
    projection stacked into one weight of 2·F rows) the product p = x · Wᵀ + b is [..., 2·F] and
    the result is [..., F]: y = silu(p[..., :F]) · p[..., F:] (+ residual).

    ```mlir
    %y = llmopt.linear %x, %w, %b
        : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    %z = llmopt.linear %x, %w, %b residual %r {activation = "gelu"}
        : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
    ```
  }];
  let arguments = (ins LLMOpt_FloatTensor:$input, LLMOpt_FloatTensor:$weight,
                       Optional<LLMOpt_FloatTensor>:$bias, Optional<F32Tensor>:$residual,
                       DefaultValuedStrAttr<StrAttr, "none">:$activation);
  let results = (outs LLMOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`residual` $residual^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;

}

def LLMOpt_MatMulOp : LLMOpt_Op<"matmul",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "numpy matmul over the last two dims, batch dims broadcast";
  let description = [{
    `lhs` [..., M, K] · `rhs` [..., K, N] → [..., M, N]. Rank-1 operands follow numpy (a vector
    is promoted, then the promoted dim is dropped). A matmul whose `rhs` is a constant matrix
    becomes an `llmopt.linear` in `llmopt-recognize-linear`.
  }];
  let arguments = (ins LLMOpt_FloatTensor:$lhs, LLMOpt_FloatTensor:$rhs);
  let results = (outs LLMOpt_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class LLMOpt_BinaryOp<string mnemonic, string what>
    : LLMOpt_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = what # ", broadcasting like numpy (ONNX multidirectional broadcasting)";
  let arguments = (ins LLMOpt_NumericTensor:$lhs, LLMOpt_NumericTensor:$rhs);
  let results = (outs LLMOpt_NumericTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def LLMOpt_AddOp : LLMOpt_BinaryOp<"add", "elementwise lhs + rhs">;
def LLMOpt_SubOp : LLMOpt_BinaryOp<"sub", "elementwise lhs - rhs">;
def LLMOpt_MulOp : LLMOpt_BinaryOp<"mul", "elementwise lhs * rhs">;
def LLMOpt_DivOp : LLMOpt_BinaryOp<"div", "elementwise lhs / rhs">;
def LLMOpt_PowOp : LLMOpt_BinaryOp<"pow", "elementwise lhs ^ rhs"> { let hasFolder = 0; }
def LLMOpt_MinOp : LLMOpt_BinaryOp<"min", "elementwise min(lhs, rhs)"> { let hasFolder = 0; }
def LLMOpt_MaxOp : LLMOpt_BinaryOp<"max", "elementwise max(lhs, rhs)"> { let hasFolder = 0; }

class LLMOpt_CompareOp<string mnemonic, string what>
    : LLMOpt_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = what # " (i1 result), broadcasting like numpy";
  let arguments = (ins LLMOpt_NumericTensor:$lhs, LLMOpt_NumericTensor:$rhs);
  let results = (outs LLMOpt_BoolTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def LLMOpt_EqualOp : LLMOpt_CompareOp<"equal", "lhs == rhs">;
def LLMOpt_LessOp : LLMOpt_CompareOp<"less", "lhs < rhs">;
def LLMOpt_GreaterOp : LLMOpt_CompareOp<"greater", "lhs > rhs">;
def LLMOpt_LessEqualOp : LLMOpt_CompareOp<"less_equal", "lhs <= rhs">;
def LLMOpt_GreaterEqualOp : LLMOpt_CompareOp<"greater_equal", "lhs >= rhs">;

class LLMOpt_LogicOp<string mnemonic, string what>
    : LLMOpt_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = what # " on booleans, broadcasting like numpy";
  let arguments = (ins LLMOpt_BoolTensor:$lhs, LLMOpt_BoolTensor:$rhs);
  let results = (outs LLMOpt_BoolTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def LLMOpt_AndOp : LLMOpt_LogicOp<"and", "lhs and rhs">;
def LLMOpt_OrOp : LLMOpt_LogicOp<"or", "lhs or rhs">;
def LLMOpt_XorOp : LLMOpt_LogicOp<"xor", "lhs xor rhs">;

def LLMOpt_WhereOp : LLMOpt_Op<"where",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "condition ? lhs : rhs, the three broadcast like numpy";
  let arguments = (ins LLMOpt_BoolTensor:$condition, AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

class LLMOpt_UnaryOp<string mnemonic, string what, Type tensor = LLMOpt_FloatTensor>
    : LLMOpt_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = what;
  let arguments = (ins tensor:$input);
  let results = (outs tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def LLMOpt_ReluOp : LLMOpt_UnaryOp<"relu", "max(x, 0)"> { let hasFolder = 1; }
def LLMOpt_TanhOp : LLMOpt_UnaryOp<"tanh", "hyperbolic tangent">;
def LLMOpt_SigmoidOp : LLMOpt_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def LLMOpt_SiluOp : LLMOpt_UnaryOp<"silu", "x · sigmoid(x) (SiLU, swish)">;
def LLMOpt_NegOp : LLMOpt_UnaryOp<"neg", "-x", LLMOpt_NumericTensor>;
def LLMOpt_AbsOp : LLMOpt_UnaryOp<"abs", "|x|", LLMOpt_NumericTensor>;
def LLMOpt_ExpOp : LLMOpt_UnaryOp<"exp", "e^x">;
def LLMOpt_LogOp : LLMOpt_UnaryOp<"log", "natural logarithm">;
def LLMOpt_SqrtOp : LLMOpt_UnaryOp<"sqrt", "square root">;
def LLMOpt_ReciprocalOp : LLMOpt_UnaryOp<"reciprocal", "1 / x">;
def LLMOpt_ErfOp : LLMOpt_UnaryOp<"erf", "the error function">;
def LLMOpt_CosOp : LLMOpt_UnaryOp<"cos", "cosine">;
def LLMOpt_SinOp : LLMOpt_UnaryOp<"sin", "sine">;
def LLMOpt_NotOp : LLMOpt_UnaryOp<"not", "logical not", LLMOpt_BoolTensor>;

def LLMOpt_ClipOp : LLMOpt_Op<"clip", [Pure, SameOperandsAndResultType]> {
  let summary = "min(max(x, min), max)";
  let arguments = (ins LLMOpt_FloatTensor:$input, F32Attr:$min, F32Attr:$max);
  let results = (outs LLMOpt_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def LLMOpt_CastOp : LLMOpt_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "converts the element type (float to int truncates toward zero; to i1: x != 0)";
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def LLMOpt_TriluOp : LLMOpt_Op<"trilu", [Pure, SameOperandsAndResultType]> {
  let summary = "keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two dims";
  let arguments = (ins AnyRankedTensor:$input, BoolAttr:$upper, I64Attr:$k);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def LLMOpt_GeluOp : LLMOpt_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `approximate = "none"`: 0.5·x·(1 + erf(x/√2)); `"tanh"`: the tanh approximation
    0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
  }];
  let arguments = (ins LLMOpt_FloatTensor:$input,
                       DefaultValuedStrAttr<StrAttr, "none">:$approximate);
  let results = (outs LLMOpt_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def LLMOpt_SoftmaxOp : LLMOpt_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax along one axis";
  let arguments = (ins LLMOpt_FloatTensor:$input, I64Attr:$axis);
  let results = (outs LLMOpt_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

def LLMOpt_ReshapeOp : LLMOpt_Op<"reshape",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "reshape with ONNX semantics for 0 and -1";
  let description = [{
    `shape` follows ONNX Reshape (allowzero = 0): an entry `0` copies the input dim at the same
    index, `-1` (at most one) is inferred from the element count, any other entry is that size.
    This keeps reshapes of dynamic tensors exact: [batch, seq, 256] → `[0, 0, 8, 32]`.

    ```mlir
    %r = llmopt.reshape %x [0, 0, 8, 32] : tensor<?x?x256xf32> -> tensor<?x?x8x32xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input $shape attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def LLMOpt_TransposeOp : LLMOpt_Op<"transpose",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "permute dims: result dim i is input dim perm[i]";
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input $perm attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

class LLMOpt_ReduceOp<string mnemonic, string what>
    : LLMOpt_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = what # " over `axes` (sorted, in [0, rank)); `keepdims` keeps them as 1";
  let arguments = (ins LLMOpt_FloatTensor:$input, DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs LLMOpt_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def LLMOpt_ReduceSumOp : LLMOpt_ReduceOp<"reduce_sum", "sum">;
def LLMOpt_ReduceMeanOp : LLMOpt_ReduceOp<"reduce_mean", "mean">;
def LLMOpt_ReduceMaxOp : LLMOpt_ReduceOp<"reduce_max", "maximum">;
def LLMOpt_ReduceMinOp : LLMOpt_ReduceOp<"reduce_min", "minimum">;

def LLMOpt_LayerNormOp : LLMOpt_Op<"layer_norm",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "(x - mean) / sqrt(var + epsilon) · scale + bias over the dims [axis, rank)";
  let description = [{
    ONNX LayerNormalization: `scale` and the optional `bias` have the shape of x's normalised
    dims; the variance is the biased one.
  }];
  let arguments = (ins LLMOpt_FloatTensor:$input, LLMOpt_FloatTensor:$scale,
                       Optional<LLMOpt_FloatTensor>:$bias, I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs LLMOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def LLMOpt_GatherOp : LLMOpt_Op<"gather",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "ONNX Gather: data indexed along `axis` by integer indices (embeddings)";
  let description = [{
    The result is data.shape[:axis] + indices.shape + data.shape[axis+1:]; a negative index
    counts from the end of the axis.
  }];
  let arguments = (ins AnyRankedTensor:$data, LLMOpt_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, results)";
}

def LLMOpt_ConcatOp : LLMOpt_Op<"concat",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "joins tensors of one element type along `axis`";
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
}

// Ops whose result shape may depend on the model's symbols carry it in `shape`: an array of
// integers (static dims) and strings (monomials over the symbols named in the arguments'
// `llmopt.dim_names`, such as "seq" or "batch*seq").

def LLMOpt_SliceOp : LLMOpt_Op<"slice",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "strided window: result[i] = input[start + i·step] along each of `axes`";
  let description = [{
    `starts` are integers or symbolic strings with an offset ("seq-1"), already clamped to the
    input the way ONNX Slice clamps them; the length along each axis is the result's dim in
    `shape`.

    ```mlir
    %m = llmopt.slice %mask {axes = array<i64: 2>, starts = [0], steps = array<i64: 1>,
                             shape = [1, 1, "seq", 256]} : tensor<1x1x256x256xi1> -> tensor<1x1x?x256xi1>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$axes, ArrayAttr:$starts,
                       DenseI64ArrayAttr:$steps, ArrayAttr:$shape);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def LLMOpt_ExpandOp : LLMOpt_Op<"expand",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "broadcasts the input (numpy rules) to `shape`";
  let arguments = (ins AnyRankedTensor:$input, ArrayAttr:$shape);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def LLMOpt_ReshapeToOp : LLMOpt_Op<"reshape_to",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "reshape to an explicit `shape` of integers and symbolic dims";
  let description = [{
    For targets the ONNX 0/-1 spec of `llmopt.reshape` cannot express, such as unsqueezing
    [batch, seq] to [1, "batch", "seq"] (a dim moves to another index). The element counts
    must agree; the runtime checks it once the symbols are bound.
  }];
  let arguments = (ins AnyRankedTensor:$input, ArrayAttr:$shape);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def LLMOpt_FillOp : LLMOpt_Op<"fill", [Pure]> {
  let summary = "a tensor of `shape` filled with `value` (ConstantOfShape of a dynamic shape)";
  let arguments = (ins F64Attr:$value, ArrayAttr:$shape);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def LLMOpt_RangeOp : LLMOpt_Op<"range", [Pure]> {
  let summary = "1-D: result[i] = start + i · delta, for i < the length in `shape`";
  let description = [{
    With `offset_by_cache` (set by llmopt-kv-cache on a model's positions), `start` is moved by
    the number of positions already in the KV cache when the runtime continues a cached sequence
    (a session's prefill and step), so the new tokens get positions cache_length + i; a plain
    run has an empty cache and the range is as written.
  }];
  let arguments = (ins F64Attr:$start, F64Attr:$delta, ArrayAttr:$shape,
                       UnitAttr:$offset_by_cache);
  let results = (outs RankedTensorOf<[F32, I64, I32]>:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Quantized weights (llmopt-quantize)
//===----------------------------------------------------------------------===//

// The precision a quantized op stores its weights in: "int8" (W8A8: int8 weights and int8
// activations quantized per token at run time), "int8-weight", "int4", "fp16", "bf16".
def LLMOpt_QuantizedLinearOp : LLMOpt_Op<"quantized_linear",
    [Pure, AttrSizedOperandSegments, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "a linear layer whose weight is stored quantized: y = x · dequant(W)ᵀ + b";
  let description = [{
    The weight is [N, K] like `llmopt.linear`'s, in the storage `mode` names:

    | mode          | weight        | scale          | offset         | meaning                        |
    |---------------|---------------|----------------|----------------|--------------------------------|
    | `int8`        | `i8` [N, K]   | `f32` [N]      | —              | W8A8: w = q·scale[n]; x is quantized to int8 per token at run time, int32 accumulation |
    | `int8-weight` | `i8` [N, K]   | `f32` [N]      | —              | w = q·scale[n], fp32 activations |
    | `int4`        | `ui4` [N, K]  | `f16` [N, G]   | `f16` [N, G]   | w = q·scale[n, g] + offset[n, g], g = k / `group_size`, G = ⌈K / group_size⌉ |
    | `fp16`, `bf16`| `f16`/`bf16` [N, K] | —        | —              | 16-bit weights                 |

    The input, bias and result are f32.

    ```mlir
    %y = llmopt.quantized_linear %x, %q scale %s bias %b {mode = "int8", group_size = 0 : i64}
        : (tensor<?x256xf32>, tensor<1024x256xi8>, tensor<1024xf32>, tensor<1024xf32>)
        -> tensor<?x1024xf32>
    ```
  }];
  let arguments = (ins F32Tensor:$input, RankedTensorOf<[I8, UI<4>, F16, BF16]>:$weight,
                       Optional<RankedTensorOf<[F32, F16]>>:$scale,
                       Optional<RankedTensorOf<[F16]>>:$offset,
                       Optional<F32Tensor>:$bias, Optional<F32Tensor>:$residual,
                       StrAttr:$mode, I64Attr:$group_size,
                       DefaultValuedStrAttr<StrAttr, "none">:$activation);
  let results = (outs F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`scale` $scale^)? (`offset` $offset^)? (`bias` $bias^)?
    (`residual` $residual^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LLMOpt_QuantizedGatherOp : LLMOpt_Op<"quantized_gather",
    [Pure, AttrSizedOperandSegments, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "rows of a quantized [V, D] table (an embedding), dequantized to f32";
  let description = [{
    Gather along axis 0 of a table stored like a `quantized_linear` weight, one row per
    vocabulary entry: `int8` is `i8` [V, D] with an `f32` [V] scale per row; `int4` is `ui4`
    [V, D] with `f16` [V, G] scale and offset over groups of `group_size` columns; `fp16` and
    `bf16` store the table in 16 bits. The result is indices.shape + [D], f32.
  }];
  let arguments = (ins RankedTensorOf<[I8, UI<4>, F16, BF16]>:$table, LLMOpt_IndexTensor:$indices,
                       Optional<RankedTensorOf<[F32, F16]>>:$scale,
                       Optional<RankedTensorOf<[F16]>>:$offset,
                       StrAttr:$mode, I64Attr:$group_size);
  let results = (outs F32Tensor:$result);
  let assemblyFormat = [{
    $table `,` $indices (`scale` $scale^)? (`offset` $offset^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused blocks
//===----------------------------------------------------------------------===//

def LLMOpt_AttentionOp : LLMOpt_Op<"attention",
    [Pure, AttrSizedOperandSegments, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "scaled dot-product attention with the heads in place: softmax(scale·q·kᵀ + bias) · v";
  let description = [{
    `query` is [B, Sq, H, D], `key` and `value` [B, Sk, Hkv, D] (H a multiple of Hkv: head h
    reads key/value head h / (H / Hkv), grouped-query attention); the result is [B, Sq, H, D]:

        y[b, i, h] = Σ_j softmax_j(scale · q'[b, i, h] · k'[b, j, h'] + key_bias[b, j]) v[b, j, h']

    over j ≤ i + (Sk − Sq) when `causal`, over every j otherwise. The layout is the one the
    Q/K/V projections produce after their head-split reshape, so the head transposes of the
    unfused graph disappear; the CPU kernel is flash-style (no [Sq, Sk] buffer).

    With `rope(cos, sin)` (both [Sk, D]) q and k are first rotated (rotary embedding, the
    "rotate half" form of Llama/NeoX): x' = x · cos[p] + rotate_half(x) · sin[p], rotate_half(x) =
    concat(−x[D/2:], x[:D/2]), p the position of the row (query i sits at i + Sk − Sq). Without it
    q' = q, k' = k. The optional `key_bias` [B or 1, Sk] is added to every query's scores (a
    padding mask: 0 where a key counts, a large negative number where it does not).

    With `kv_cache = n` (set by llmopt-kv-cache on a causal self-attention), the op is layer n of
    the model's KV cache: when the runtime continues a cached sequence (a session's prefill and
    step), the new keys (rotated) and values are appended to the cache in place and the queries
    attend to every cached position before them; a plain run ignores the cache.
  }];
  let arguments = (ins F32Tensor:$query, F32Tensor:$key, F32Tensor:$value,
                       Optional<F32Tensor>:$rope_cos, Optional<F32Tensor>:$rope_sin,
                       Optional<F32Tensor>:$key_bias, F32Attr:$scale, BoolAttr:$causal,
                       OptionalAttr<I64Attr>:$kv_cache);
  let results = (outs F32Tensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`rope` `(` $rope_cos^ `,` $rope_sin `)`)?
    (`key_bias` `(` $key_bias^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LLMOpt_PackedAttentionOp : LLMOpt_Op<"packed_attention",
    [Pure, AttrSizedOperandSegments, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "`llmopt.attention` reading q, k and v from one packed projection";
  let description = [{
    `qkv` is [B, S, H + 2·Hkv, D]: heads [0, H) are the queries, [H, H + Hkv) the keys and
    [H + Hkv, H + 2·Hkv) the values, as one linear with the Q, K and V rows stacked produces them
    (llmopt-pack-projections; GPT-2's Conv1D does it already). `kv_heads` is Hkv; the result is
    [B, S, H, D] and the semantics are `llmopt.attention`'s with Sq = Sk = S: the kernel reads the
    three parts in place, so they are never copied out. `kv_cache` is `llmopt.attention`'s.

    ```mlir
    %y = llmopt.packed_attention %qkv {causal = true, kv_heads = 2 : i64, scale = 0.25 : f32}
        : (tensor<?x?x8x16xf32>) -> tensor<?x?x4x16xf32>
    ```
  }];
  let arguments = (ins F32Tensor:$qkv, Optional<F32Tensor>:$rope_cos,
                       Optional<F32Tensor>:$rope_sin, Optional<F32Tensor>:$key_bias,
                       I64Attr:$kv_heads, F32Attr:$scale, BoolAttr:$causal,
                       OptionalAttr<I64Attr>:$kv_cache);
  let results = (outs F32Tensor:$result);
  let assemblyFormat = [{
    $qkv (`rope` `(` $rope_cos^ `,` $rope_sin `)`)? (`key_bias` `(` $key_bias^ `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LLMOpt_RmsNormOp : LLMOpt_Op<"rms_norm",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "x / sqrt(mean(x²) + epsilon) · scale over the dims [axis, rank) (RMSNorm)";
  let description = [{
    `scale` has the shape of x's normalised dims (Llama's RMSNorm weight).
  }];
  let arguments = (ins F32Tensor:$input, F32Tensor:$scale, I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs F32Tensor:$result);
  let assemblyFormat = "$input `,` $scale attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// ONNX quantization (already-quantized models)
//===----------------------------------------------------------------------===//
//
// The importer maps ONNX Runtime's quantization ops one to one onto these; the pass
// `llmopt-lower-onnx-quant` then rewrites the forms the quantization tools produce into
// `quantized_linear`, `fake_quantize` and f32 constants. None of the first four reaches the
// artifact: whatever the pass cannot rewrite is an error there, at the ONNX node.

def LLMOpt_QuantStorageTensor : RankedTensorOf<[I8, UI8, I32]>;
def LLMOpt_Int8Tensor : RankedTensorOf<[I8, UI8]>;

def LLMOpt_DequantizeLinearOp : LLMOpt_Op<"dequantize_linear", [Pure]> {
  let summary = "ONNX DequantizeLinear: y = (x - zero_point) · scale";
  let description = [{
    `scale` (and `zero_point`, of x's element type) is a scalar or a one-element 1-D tensor (per
    tensor), or 1-D of length x.shape[axis] (per axis). An absent zero point is 0.
  }];
  let arguments = (ins LLMOpt_QuantStorageTensor:$input, F32Tensor:$scale,
                       Optional<LLMOpt_QuantStorageTensor>:$zero_point, I64Attr:$axis);
  let results = (outs F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`zero_point` $zero_point^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LLMOpt_QuantizeLinearOp : LLMOpt_Op<"quantize_linear", [Pure]> {
  let summary = "ONNX QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point)";
  let description = [{
    `scale` and `zero_point` as in `dequantize_linear`; the result has the zero point's element
    type (i8 or ui8; without a zero point, 0 of the result's type).
  }];
  let arguments = (ins F32Tensor:$input, F32Tensor:$scale,
                       Optional<LLMOpt_Int8Tensor>:$zero_point, I64Attr:$axis);
  let results = (outs LLMOpt_Int8Tensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`zero_point` $zero_point^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LLMOpt_DynamicQuantizeLinearOp : LLMOpt_Op<"dynamic_quantize_linear", [Pure]> {
  let summary = "ONNX DynamicQuantizeLinear: x to ui8 with a per-tensor scale and zero point";
  let arguments = (ins F32Tensor:$input);
  let results = (outs RankedTensorOf<[UI8]>:$result, 0DTensorOf<[F32]>:$scale,
                      0DTensorOf<[UI8]>:$zero_point);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def LLMOpt_MatMulIntegerOp : LLMOpt_Op<"matmul_integer", [Pure, AttrSizedOperandSegments]> {
  let summary = "ONNX MatMulInteger: (a - a_zero_point) · (b - b_zero_point) in int32";
  let arguments = (ins LLMOpt_Int8Tensor:$a, LLMOpt_Int8Tensor:$b,
                       Optional<LLMOpt_Int8Tensor>:$a_zero_point,
                       Optional<LLMOpt_Int8Tensor>:$b_zero_point);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $a `,` $b (`a_zero_point` $a_zero_point^)? (`b_zero_point` $b_zero_point^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def LLMOpt_FakeQuantizeOp : LLMOpt_Op<"fake_quantize", [Pure, SameOperandsAndResultType]> {
  let summary = "quantize then dequantize: (clamp(round_half_even(x / scale) + zp, qmin, qmax) - zp) · scale";
  let description = [{
    An ONNX QuantizeLinear → DequantizeLinear pair on an activation (QDQ models), per tensor:
    the value keeps f32 storage but takes only the 2^8 values the quantized tensor can hold.
  }];
  let arguments = (ins F32Tensor:$input, F32Attr:$scale, I64Attr:$zero_point, I64Attr:$qmin,
                       I64Attr:$qmax);
  let results = (outs F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // LLMOPT_OPS_TD
