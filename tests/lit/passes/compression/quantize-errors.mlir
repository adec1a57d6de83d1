// RUN: not llmopt-opt %s --llmopt-quantize=mode=int3 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not llmopt-opt %s --llmopt-quantize="rules=/fc/*" 2>&1 | FileCheck %s --check-prefix=RULE
// RUN: not llmopt-opt %s --llmopt-quantize="rules=/fc/*=int2" 2>&1 | FileCheck %s --check-prefix=RULEMODE
// RUN: not llmopt-opt %s --llmopt-quantize="rules=op:conv=fp32" 2>&1 | FileCheck %s --check-prefix=OPKIND
// RUN: not llmopt-opt %s --llmopt-quantize="lm-head=int2" 2>&1 | FileCheck %s --check-prefix=HEAD
// RUN: not llmopt-opt %s --llmopt-quantize="mode=int4 group-size=0" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not llmopt-opt %s --llmopt-smooth 2>&1 | FileCheck %s --check-prefix=SMOOTH

// MODE: error: llmopt-quantize: unknown mode 'int3' (expected one of int8, int8-weight, int4, fp16, bf16)
// RULE: error: llmopt-quantize: rule '/fc/*' is not SELECTOR=MODE
// RULEMODE: error: llmopt-quantize: rule '/fc/*=int2': unknown precision 'int2'
// OPKIND: error: llmopt-quantize: rule 'op:conv=fp32': unknown op kind 'conv' (expected linear or gather)
// HEAD: error: llmopt-quantize: lm-head: unknown precision 'int2'
// GROUP: error: llmopt-quantize: group-size must be positive, got 0
// SMOOTH: error: llmopt-smooth needs activation statistics: compile with --calib FILE
func.func @f(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w = llmopt.constant dense<1.0> : tensor<2x4xf32>
  %y = llmopt.linear %x, %w : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
