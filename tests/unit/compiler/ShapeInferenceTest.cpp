// Shape rules of the llmopt ops (used by type inference, hence by the verifier).
#include "ir/ShapeInference.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"

#include <gtest/gtest.h>

using namespace llmopt;
constexpr int64_t kDyn = mlir::ShapedType::kDynamic;

namespace {
Shape shapeOf(const ShapeOrError& result) {
  EXPECT_TRUE(std::holds_alternative<Shape>(result)) << std::get<std::string>(result);
  return std::holds_alternative<Shape>(result) ? std::get<Shape>(result) : Shape{};
}
std::string errorOf(const ShapeOrError& result) {
  return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : "";
}
}  // namespace

TEST(ShapeInference, BroadcastLikeNumpy) {
  EXPECT_EQ(shapeOf(broadcastShapes({3, 1, 5}, {4, 1})), (Shape{3, 4, 5}));
  EXPECT_EQ(shapeOf(broadcastShapes({kDyn, 16}, {16})), (Shape{kDyn, 16}));
  EXPECT_EQ(shapeOf(broadcastShapes({kDyn}, {4})), (Shape{4}));
  EXPECT_NE(errorOf(broadcastShapes({3}, {4})).find("do not broadcast"), std::string::npos);
}

TEST(ShapeInference, MatMulBatchAndVectors) {
  EXPECT_EQ(shapeOf(matmulShape({2, 1, 3, 4}, {5, 4, 6})), (Shape{2, 5, 3, 6}));
  EXPECT_EQ(shapeOf(matmulShape({4}, {4, 6})), (Shape{6}));
  EXPECT_EQ(shapeOf(matmulShape({3, 4}, {4})), (Shape{3}));
  EXPECT_NE(errorOf(matmulShape({3, 4}, {5, 6})).find("contraction"), std::string::npos);
}

TEST(ShapeInference, ReshapeCopiesAndInfers) {
  EXPECT_EQ(shapeOf(reshapeShape({kDyn, kDyn, 256}, {0, 0, 8, 32})), (Shape{kDyn, kDyn, 8, 32}));
  EXPECT_EQ(shapeOf(reshapeShape({2, 3, 4}, {-1, 4})), (Shape{6, 4}));
  EXPECT_EQ(shapeOf(reshapeShape({kDyn, 4}, {-1})), (Shape{kDyn}));
  EXPECT_NE(errorOf(reshapeShape({2, 3}, {-1, -1})).find("more than one -1"), std::string::npos);
  EXPECT_NE(errorOf(reshapeShape({2, 3}, {4})).find("elements"), std::string::npos);
}

TEST(ShapeInference, LinearAndTranspose) {
  const int64_t biasDims[] = {32};
  llvm::ArrayRef<int64_t> bias(biasDims);
  EXPECT_EQ(shapeOf(linearShape({kDyn, 16}, {32, 16}, &bias)), (Shape{kDyn, 32}));
  EXPECT_NE(errorOf(linearShape({kDyn, 15}, {32, 16}, nullptr)).find("K differs"), std::string::npos);
  EXPECT_EQ(shapeOf(transposeShape({2, 3, 4}, {2, 0, 1})), (Shape{4, 2, 3}));
  EXPECT_NE(errorOf(transposeShape({2, 3}, {0, 0})).find("not a permutation"), std::string::npos);
}
