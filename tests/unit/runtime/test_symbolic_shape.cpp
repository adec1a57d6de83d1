#include <gtest/gtest.h>

#include <cstdint>

#include "symbolic_shape.h"

namespace llmopt::rt {
namespace {

DimExpr dim(int64_t num, int64_t den, std::initializer_list<uint32_t> syms) {
  DimExpr d;
  d.num = num;
  d.den = den;
  for (uint32_t s : syms) d.syms[d.num_syms++] = s;
  return d;
}

TEST(SymbolicShape, EvaluatesMonomials) {
  const int64_t symbols[] = {3, 5, 0};
  int64_t value;
  DimProblem problem;
  ASSERT_TRUE(evalDim(dim(16, 1, {}), symbols, &value, &problem));
  EXPECT_EQ(value, 16);
  ASSERT_TRUE(evalDim(dim(1, 1, {0}), symbols, &value, &problem));
  EXPECT_EQ(value, 3);
  ASSERT_TRUE(evalDim(dim(8, 1, {0, 1}), symbols, &value, &problem));
  EXPECT_EQ(value, 120);
  ASSERT_TRUE(evalDim(dim(4, 6, {0}), symbols, &value, &problem));  // 4*3/6
  EXPECT_EQ(value, 2);
  ASSERT_TRUE(evalDim(dim(1, 1, {0, 0}), symbols, &value, &problem));  // batch^2
  EXPECT_EQ(value, 9);
  ASSERT_TRUE(evalDim(dim(7, 2, {2}), symbols, &value, &problem));  // zero-size
  EXPECT_EQ(value, 0);
}

TEST(SymbolicShape, RefusesInexactOverflowAndNegative) {
  const int64_t symbols[] = {3, INT64_C(1) << 40};
  int64_t value;
  DimProblem problem;
  EXPECT_FALSE(evalDim(dim(1, 2, {0}), symbols, &value, &problem));
  EXPECT_EQ(problem, DimProblem::NotWhole);
  EXPECT_FALSE(evalDim(dim(1 << 30, 1, {1}), symbols, &value, &problem));
  EXPECT_EQ(problem, DimProblem::Overflow);
  EXPECT_FALSE(evalDim(dim(1, 1, {1, 1}), symbols, &value, &problem));
  EXPECT_EQ(problem, DimProblem::Overflow);
  EXPECT_FALSE(evalDim(dim(-2, 1, {0}), symbols, &value, &problem));
  EXPECT_EQ(problem, DimProblem::Negative);
}

TEST(SymbolicShape, FormatsAndResolves) {
  ModelDesc model;
  model.symbol_names = {"batch", "seq"};
  EXPECT_EQ(formatDim(dim(16, 1, {}), model.symbol_names), "16");
  EXPECT_EQ(formatDim(dim(1, 1, {0}), model.symbol_names), "batch");
  EXPECT_EQ(formatDim(dim(2, 4, {0, 1}), model.symbol_names), "2*batch*seq/4");

  TensorDesc t;
  t.name = "h";
  t.rank = 2;
  t.dims[0] = dim(1, 1, {0});
  t.dims[1] = dim(1, 2, {1});
  const int64_t good[] = {2, 6}, bad[] = {2, 5};
  Shape shape;
  ASSERT_EQ(resolveShape(t, model, good, &shape), LLMOPT_OK);
  EXPECT_EQ(shape, (Shape{2, 3}));
  ASSERT_EQ(resolveShape(t, model, bad, &shape), LLMOPT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(lastError(), "tensor 'h': dim 1 = seq/2 is not a whole number for seq=5");
}

}  // namespace
}  // namespace llmopt::rt
