// Monomial arithmetic behind the plan's symbolic dims.
#include "backends/artifact/SymbolicShapes.h"

#include <gtest/gtest.h>

using llmopt::SymDim;

TEST(SymDim, ProductAndQuotientStayExact) {
  SymDim batch = SymDim::symbol(0), seq = SymDim::symbol(1);
  SymDim total = batch * seq * SymDim::constant(256);  // [batch, seq, 256] flattened
  auto heads = total.divide(SymDim::constant(32));
  ASSERT_TRUE(heads.has_value());
  EXPECT_EQ(*heads, batch * seq * SymDim::constant(8));
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
  EXPECT_EQ(*half * SymDim::constant(4), SymDim::symbol(0) * SymDim::constant(2));
  EXPECT_FALSE(half->isStatic());
}
