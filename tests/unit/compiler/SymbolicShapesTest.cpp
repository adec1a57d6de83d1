// Monomial arithmetic behind the plan's symbolic dims.
#include "ir/SymbolicShapes.h"

#include <gtest/gtest.h>

using llmopt::SymDim;

namespace {
SymDim times(const SymDim& a, const SymDim& b) {
  std::optional<SymDim> product = a.times(b);
  EXPECT_TRUE(product.has_value());
  return product.value_or(SymDim::constant(0));
}
}  // namespace

TEST(SymDim, ProductAndQuotientStayExact) {
  SymDim batch = SymDim::symbol(0), seq = SymDim::symbol(1);
  SymDim total = times(times(batch, seq), SymDim::constant(256));  // [batch, seq, 256] flattened
  auto heads = total.divide(SymDim::constant(32));
  ASSERT_TRUE(heads.has_value());
  EXPECT_EQ(*heads, times(times(batch, seq), SymDim::constant(8)));
  EXPECT_EQ(llmopt::formatSymDim(*heads, {"batch", "seq"}), "8*batch*seq");
}

TEST(SymDim, DivisionNeedingANegativePowerFails) {
  EXPECT_FALSE(SymDim::constant(64).divide(SymDim::symbol(0)).has_value());
  EXPECT_FALSE(SymDim::symbol(0).divide(SymDim::symbol(1)).has_value());
}

TEST(SymDim, FractionsReduce) {
  auto half = SymDim::symbol(0).divide(SymDim::constant(2));
  ASSERT_TRUE(half.has_value());
  EXPECT_EQ(half->num, 1);
  EXPECT_EQ(half->den, 2);
  EXPECT_EQ(times(*half, SymDim::constant(4)), times(SymDim::symbol(0), SymDim::constant(2)));
  EXPECT_FALSE(half->isStatic());
}

TEST(SymDim, OverflowIsRefused) {
  const int64_t big = int64_t(1) << 40;
  EXPECT_FALSE(SymDim::constant(big).times(SymDim::constant(big)).has_value());
  EXPECT_FALSE(SymDim::symbol(0).times(SymDim::constant(big))->times(SymDim::constant(big)));
  EXPECT_FALSE((SymDim{1, big, {}}.times(SymDim{1, big, {}})).has_value());
  EXPECT_FALSE(SymDim::constant(big).divide(SymDim{1, big, {}}).has_value());
}
