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
      bias (`fold-bias=false` keeps them apart).
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

#endif // LLMOPT_PASSES_TD
