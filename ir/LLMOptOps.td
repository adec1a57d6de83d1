//===- LLMOptOps.td - ops of the llmopt dialect ---------------------------===//
#ifndef LLMOPT_OPS_TD
#define LLMOPT_OPS_TD

include "ir/LLMOptBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def LLMOpt_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;

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
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "fully connected layer: y = x · Wᵀ + b";
  let description = [{
    `input` is [..., K], `weight` is [N, K] (PyTorch's `nn.Linear` layout: one row per output
    feature), the optional `bias` is [N]; the result is [..., N]. This is the op every
    compression pass works on: pruning drops rows of `weight`, low-rank splits it in two,
    quantization replaces it.

    ```mlir
    %y = llmopt.linear %x, %w, %b
        : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<?x32xf32>
    ```
  }];
  let arguments = (ins LLMOpt_FloatTensor:$input, LLMOpt_FloatTensor:$weight,
                       Optional<LLMOpt_FloatTensor>:$bias);
  let results = (outs LLMOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  
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
  let arguments = (ins LLMOpt_FloatTensor:$lhs, LLMOpt_FloatTensor:$rhs);
  let results = (outs LLMOpt_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def LLMOpt_AddOp : LLMOpt_BinaryOp<"add", "elementwise lhs + rhs">;
def LLMOpt_SubOp : LLMOpt_BinaryOp<"sub", "elementwise lhs - rhs">;
def LLMOpt_MulOp : LLMOpt_BinaryOp<"mul", "elementwise lhs * rhs">;
def LLMOpt_DivOp : LLMOpt_BinaryOp<"div", "elementwise lhs / rhs">;

class LLMOpt_UnaryOp<string mnemonic, string what, list<Trait> traits = []>
    : LLMOpt_Op<mnemonic, traits # [Pure, SameOperandsAndResultType]> {
  let summary = what;
  let arguments = (ins LLMOpt_FloatTensor:$input);
  let results = (outs LLMOpt_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def LLMOpt_ReluOp : LLMOpt_UnaryOp<"relu", "max(x, 0)"> { let hasFolder = 1; }
def LLMOpt_TanhOp : LLMOpt_UnaryOp<"tanh", "hyperbolic tangent">;
def LLMOpt_SigmoidOp : LLMOpt_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;

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

#endif // LLMOPT_OPS_TD
