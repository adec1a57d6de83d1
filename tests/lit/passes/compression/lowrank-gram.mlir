// RUN: llmopt-opt %s --llmopt-lowrank="energy=0.99 lm-head=true criterion=activation" | FileCheck %s

// With the inputs' mean x xᵀ (llmopt.calibration_gram) the whitening is its Cholesky factor L
// (SVD-LLM): here G = diag(16, 1, 0, 0) (+ a 1e-6 ridge), L ≈ diag(4, 1, ~0, ~0), so W · L =
// 8 e1 e1ᵀ: U Σ^½ = √8 e1, and the first factor gets L⁻¹ back: √8 / 4 = 0.7071. The Gram matrix
// wins over the RMS vector, which would give the same here, and a zero channel stays finite.
// CHECK: llmopt.constant dense<{{\[}}[{{-?}}0.707106{{[0-9]*}}, {{-?}}0.000000e+00, {{-?}}0.000000e+00, {{-?}}0.000000e+00]]> : tensor<1x4xf32>
// CHECK: llmopt.constant dense<{{\[}}[{{-?}}2.82842{{[0-9]*}}], [{{-?}}0.000000e+00], [{{-?}}0.000000e+00], [{{-?}}0.000000e+00]]> : tensor<4x1xf32>
module attributes {llmopt.calibration_gram = {"/rank1/MatMul" = dense<[[16.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>}, llmopt.calibration_rms = {"/rank1/MatMul" = dense<[4.0, 1.0, 0.0, 0.0]> : tensor<4xf32>}} {
  func.func @rank1(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %w = llmopt.constant dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
    %y = llmopt.linear %x, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("/rank1/MatMul")
    return %y : tensor<?x4xf32>
  }
}
