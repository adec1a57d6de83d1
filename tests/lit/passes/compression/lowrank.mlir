// RUN: llmopt-opt %s --llmopt-lowrank="energy=0.99 lm-head=true" | FileCheck %s --check-prefix=PLAIN
// RUN: llmopt-opt %s --llmopt-lowrank="energy=0.99 lm-head=true criterion=activation" | FileCheck %s --check-prefix=ACT
// RUN: llmopt-opt %s --llmopt-lowrank="energy=0.99" | FileCheck %s --check-prefix=HEAD
// RUN: llmopt-opt %s --llmopt-lowrank="ratio=0.5 lm-head=true keep=/full/*" | FileCheck %s --check-prefix=RATIO

// W = 2 e1 e1ᵀ has rank 1: y = x · Wᵀ + b becomes t = x · Vᵀ (V [1, 4]) and y = t · Uᵀ + b
// (U [4, 1]), U V = W with Σ^½ = √2 on each side (the signs of a singular pair are free). The
// bias, the epilogue and the name (with /lowrank_u) stay on the second layer.
// PLAIN: llmopt.lowrank = {"/rank1/MatMul" = {k = 4 : i64, n = 4 : i64, rank = 1 : i64}}
// PLAIN-LABEL: func.func @rank1
// PLAIN: %[[V:.*]] = llmopt.constant dense<{{\[}}[{{-?}}1.41421{{[0-9]*}}, {{-?}}0.000000e+00, {{-?}}0.000000e+00, {{-?}}0.000000e+00]]> : tensor<1x4xf32>
// PLAIN: %[[T:.*]] = llmopt.linear %arg0, %[[V]] : (tensor<?x4xf32>, tensor<1x4xf32>) -> tensor<?x1xf32>
// PLAIN: %[[U:.*]] = llmopt.constant dense<{{\[}}[{{-?}}1.41421{{[0-9]*}}], [{{-?}}0.000000e+00], [{{-?}}0.000000e+00], [{{-?}}0.000000e+00]]> : tensor<4x1xf32>
// PLAIN: llmopt.linear %[[T]], %[[U]], %{{.*}} {activation = "relu"} : (tensor<?x1xf32>, tensor<4x1xf32>, tensor<4xf32>) -> tensor<?x4xf32>

// activation: the SVD of W · diag(rms) = W · diag(4, 1, 1, 1): σ = 8, U Σ^½ = √8 e1, and V
// gets S⁻¹ back: √8 / 4. The product is W again.
// ACT-LABEL: func.func @rank1
// ACT: llmopt.constant dense<{{\[}}[{{-?}}0.707106{{[0-9]*}}, {{-?}}0.000000e+00, {{-?}}0.000000e+00, {{-?}}0.000000e+00]]> : tensor<1x4xf32>
// ACT: llmopt.constant dense<{{\[}}[{{-?}}2.82842{{[0-9]*}}], [{{-?}}0.000000e+00], [{{-?}}0.000000e+00], [{{-?}}0.000000e+00]]> : tensor<4x1xf32>

// A full-rank layer (the identity) needs rank 4 for 99% of its energy, above the break-even
// 4·4 / (4 + 4) = 2: left alone. By default the LM head (here: every layer, each returns its
// result) is left alone too.
// PLAIN-LABEL: func.func @full
// PLAIN: llmopt.linear %arg0, %{{.*}} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
// HEAD-NOT: llmopt.lowrank
// HEAD-LABEL: func.func @rank1
// HEAD: llmopt.linear %arg0, %{{.*}}, %{{.*}} {activation = "relu"} : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>

// ratio = 0.5 keeps ⌊0.5 · 4·8 / 12⌋ = 1 rank of the 4x8 layer; `keep` leaves @full alone.
// RATIO: llmopt.lowrank = {"/rank1/MatMul" = {k = 4 : i64, n = 4 : i64, rank = 1 : i64}, "/wide/MatMul" = {k = 8 : i64, n = 4 : i64, rank = 1 : i64}}
// RATIO-LABEL: func.func @wide
// RATIO: llmopt.linear %{{.*}}, %{{.*}} : (tensor<?x1xf32>, tensor<4x1xf32>) -> tensor<?x4xf32>

module attributes {llmopt.calibration_rms = {"/rank1/MatMul" = dense<[4.0, 1.0, 1.0, 1.0]> : tensor<4xf32>, "/full/MatMul" = dense<1.0> : tensor<4xf32>, "/wide/MatMul" = dense<1.0> : tensor<8xf32>}} {
  func.func @rank1(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %w = llmopt.constant dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
    %b = llmopt.constant dense<[0.5, 0.5, 0.5, 0.5]> : tensor<4xf32>
    %y = llmopt.linear %x, %w, %b {activation = "relu"} : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32> loc("/rank1/MatMul")
    return %y : tensor<?x4xf32>
  }

  func.func @full(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %w = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
    %y = llmopt.linear %x, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("/full/MatMul")
    return %y : tensor<?x4xf32>
  }

  func.func @wide(%x: tensor<?x8xf32>) -> tensor<?x4xf32> {
    %w = llmopt.constant dense<[[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<4x8xf32>
    %y = llmopt.linear %x, %w : (tensor<?x8xf32>, tensor<4x8xf32>) -> tensor<?x4xf32> loc("/wide/MatMul")
    return %y : tensor<?x4xf32>
  }
}
