//===- LLMOptBase.td - the llmopt dialect --------------------------------===//
#ifndef LLMOPT_BASE_TD
#define LLMOPT_BASE_TD

include "mlir/IR/OpBase.td"

def LLMOpt_Dialect : Dialect {
  let name = "llmopt";
  let cppNamespace = "::llmopt";
  let summary = "Tensor-level ops of transformer inference, as llmopt imports and compresses them";
  let description = [{
    Ops on ranked tensors with numpy/ONNX semantics. Dynamic dims (`?`) stand for the model's
    symbols (batch, sequence): the function arguments name them in `llmopt.dim_names`. Weights are
    `llmopt.constant` ops, backed by resource blobs so that importing does not copy them.
  }];
  let useFoldAPI = kEmitFoldAdaptorFolder;
  let hasConstantMaterializer = 1;
}

class LLMOpt_Op<string mnemonic, list<Trait> traits = []>
    : Op<LLMOpt_Dialect, mnemonic, traits>;

#endif // LLMOPT_BASE_TD
