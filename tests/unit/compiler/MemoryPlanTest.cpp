// The arena plan: slots by liveness, and results written over an operand in place where legal.
#include "backends/artifact/MemoryPlan.h"

#include "ir/LLMOptDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

using namespace llmopt;
using namespace mlir;

namespace {

/// @main of `source` with every op a plan step (all operands read, result 0 written), the
/// returned values kept alive, and the in-place operands of the ops named in `inPlace`.
class Planned {
 public:
  using InPlaceLists = std::map<std::string, llvm::SmallVector<unsigned, 2>>;

  Planned(const char* source, const InPlaceLists& inPlace) {
    context.loadDialect<LLMOptDialect, func::FuncDialect>();
    module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module);
    if (!module) return;
    auto func = module->lookupSymbol<func::FuncOp>("main");
    FailureOr<SymbolicShapes> inferred = inferSymbolicShapes(func);
    EXPECT_TRUE(succeeded(inferred));
    if (failed(inferred)) return;
    shapes = std::move(*inferred);
    std::vector<PlanStep> steps;
    llvm::DenseSet<Value> keepAlive;
    for (Operation& op : func.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        keepAlive.insert(ret.getOperands().begin(), ret.getOperands().end());
        continue;
      }
      PlanStep step;
      step.reads.assign(op.getOperands().begin(), op.getOperands().end());
      step.writes = op.getResult(0);
      if (auto name = op.getAttrOfType<StringAttr>("tag")) {
        values[name.str()] = step.writes;
        auto it = inPlace.find(name.str());
        if (it != inPlace.end()) step.inPlace = it->second;
      }
      steps.push_back(step);
    }
    plan = assignSlots(steps, keepAlive, shapes);
  }

  int slot(const std::string& tag) const { return plan.slotOf.lookup(values.lookup(tag)); }
  bool inPlace(const std::string& tag) const { return plan.inPlace.contains(values.lookup(tag)); }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  SymbolicShapes shapes;
  llvm::StringMap<Value> values;  // by the ops' `tag` attribute
  SlotPlan plan;
};

constexpr const char* kArgs =
    R"(%x: tensor<?x4xf32> {llmopt.dim_names = ["n", ""], llmopt.name = "x"})";

std::string mainOf(const std::string& body, const std::string& results,
                   const std::string& args = kArgs) {
  return "func.func @main(" + args + ") -> (" + results + ") {\n" + body + "}\n";
}

TEST(MemoryPlan, ResultTakesTheSlotOfAnOperandReadForTheLastTime) {
  std::string source = mainOf(R"(
    %a = llmopt.relu %x {tag = "a"} : tensor<?x4xf32>
    %b = llmopt.neg %a {tag = "b"} : tensor<?x4xf32>
    %c = llmopt.reshape %b [-1] {tag = "c"} : tensor<?x4xf32> -> tensor<?xf32>
    %y = llmopt.exp %c {tag = "y"} : tensor<?xf32>
    return %y : tensor<?xf32>
  )", "tensor<?xf32>");
  Planned p(source.c_str(), {{"b", {0}}, {"c", {0}}, {"y", {0}}});
  EXPECT_FALSE(p.inPlace("a"));  // reads the model input, which has no slot
  EXPECT_TRUE(p.inPlace("b"));
  EXPECT_TRUE(p.inPlace("c"));  // a reshape of the same bytes
  EXPECT_TRUE(p.inPlace("y"));  // a model output may take a dying operand's slot
  EXPECT_EQ(p.slot("b"), p.slot("a"));
  EXPECT_EQ(p.slot("c"), p.slot("a"));
  EXPECT_EQ(p.slot("y"), p.slot("a"));
  EXPECT_EQ(p.plan.numSlots, 1);
}

TEST(MemoryPlan, NoInPlaceWithoutTheOpsPermission) {
  std::string source = mainOf(R"(
    %a = llmopt.relu %x {tag = "a"} : tensor<?x4xf32>
    %b = llmopt.neg %a {tag = "b"} : tensor<?x4xf32>
    return %b : tensor<?x4xf32>
  )", "tensor<?x4xf32>");
  Planned p(source.c_str(), {});
  EXPECT_FALSE(p.inPlace("b"));
  EXPECT_NE(p.slot("b"), p.slot("a"));
}

TEST(MemoryPlan, OperandStillReadLaterKeepsItsSlot) {
  std::string source = mainOf(R"(
    %a = llmopt.relu %x {tag = "a"} : tensor<?x4xf32>
    %b = llmopt.neg %a {tag = "b"} : tensor<?x4xf32>
    %y = llmopt.mul %b, %a {tag = "y"} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  )", "tensor<?x4xf32>");
  Planned p(source.c_str(), {{"b", {0}}, {"y", {0, 1}}});
  EXPECT_FALSE(p.inPlace("b"));  // mul still reads a
  EXPECT_NE(p.slot("b"), p.slot("a"));
  EXPECT_TRUE(p.inPlace("y"));  // both die at mul: the first one listed wins
  EXPECT_EQ(p.slot("y"), p.slot("b"));
  EXPECT_EQ(p.plan.numSlots, 2);
}

TEST(MemoryPlan, LaterOperandWhenTheFirstIsNotEligible) {
  std::string source = mainOf(R"(
    %a = llmopt.relu %x {tag = "a"} : tensor<?x4xf32>
    %b = llmopt.neg %a {tag = "b"} : tensor<?x4xf32>
    %c = llmopt.add %a, %b {tag = "c"} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    %y = llmopt.mul %c, %a {tag = "y"} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  )", "tensor<?x4xf32>");
  Planned p(source.c_str(), {{"c", {0, 1}}});
  EXPECT_TRUE(p.inPlace("c"));
  EXPECT_EQ(p.slot("c"), p.slot("b"));  // a is read again by mul
}

TEST(MemoryPlan, ModelOutputsAndOperandsReadTwiceAreNotOverwritten) {
  std::string source = mainOf(R"(
    %a = llmopt.relu %x {tag = "a"} : tensor<?x4xf32>
    %b = llmopt.neg %a {tag = "b"} : tensor<?x4xf32>
    %c = llmopt.relu %x {tag = "c"} : tensor<?x4xf32>
    %d = llmopt.add %c, %c {tag = "d"} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    return %a, %b, %d : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
  )", "tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>");
  Planned p(source.c_str(), {{"b", {0}}, {"d", {0, 1}}});
  EXPECT_FALSE(p.inPlace("b"));  // a is a model output
  EXPECT_FALSE(p.inPlace("d"));  // c is read twice by this add
  EXPECT_EQ(p.plan.numSlots, 4);
}

TEST(MemoryPlan, OnlyOfTheSameByteSize) {
  std::string source = mainOf(R"(
    %a = llmopt.relu %x {tag = "a"} : tensor<?x4xf32>
    %b = llmopt.cast %a {tag = "b"} : tensor<?x4xf32> -> tensor<?x4xi64>
    %c = llmopt.cast %b {tag = "c"} : tensor<?x4xi64> -> tensor<?x4xf32>
    %d = llmopt.cast %c {tag = "d"} : tensor<?x4xf32> -> tensor<?x4xi32>
    %e = llmopt.reshape %d [-1, 2] {tag = "e"} : tensor<?x4xi32> -> tensor<?x2xi32>
    return %e : tensor<?x2xi32>
  )", "tensor<?x2xi32>");
  Planned p(source.c_str(), {{"b", {0}}, {"c", {0}}, {"d", {0}}, {"e", {0}}});
  EXPECT_FALSE(p.inPlace("b"));  // 4 -> 8 bytes an element
  EXPECT_FALSE(p.inPlace("c"));  // 8 -> 4
  EXPECT_TRUE(p.inPlace("d"));   // 4 -> 4
  EXPECT_TRUE(p.inPlace("e"));   // [n, 4] -> [2n, 2]
  EXPECT_EQ(p.slot("e"), p.slot("c"));
}

// Sizes decide before recency: a small tensor takes the small free slot, not the large one freed
// last, and a larger one grows the largest free slot rather than taking a new one.
TEST(MemoryPlan, SmallestFreeSlotThatFits) {
  std::string args = std::string(kArgs) +
                     R"(, %z: tensor<?x16xf32> {llmopt.dim_names = ["n", ""], llmopt.name = "z"})";
  std::string source = mainOf(R"(
    %s = llmopt.relu %x {tag = "s"} : tensor<?x4xf32>
    %b = llmopt.relu %z {tag = "b"} : tensor<?x16xf32>
    %c = llmopt.concat %s, %b {axis = 1 : i64, tag = "c"}
        : (tensor<?x4xf32>, tensor<?x16xf32>) -> tensor<?x20xf32>
    %r = llmopt.reduce_sum %c {axes = array<i64: 1>, keepdims = true, tag = "r"}
        : tensor<?x20xf32> -> tensor<?x1xf32>
    %w = llmopt.concat %z, %z {axis = 1 : i64, tag = "w"}
        : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x32xf32>
    return %r, %w : tensor<?x1xf32>, tensor<?x32xf32>
  )", "tensor<?x1xf32>, tensor<?x32xf32>", args);
  Planned p(source.c_str(), {});
  // c frees s's slot (16n bytes), then b's (64n); r (4n) fits both: the smaller one.
  EXPECT_EQ(p.slot("r"), p.slot("s"));
  // w (128n) fits in no free slot: it takes c's (80n), the largest, rather than a fourth.
  EXPECT_EQ(p.slot("w"), p.slot("c"));
  EXPECT_EQ(p.plan.numSlots, 3);
}

TEST(MemoryPlan, SymbolicBytes) {
  MLIRContext context;
  context.loadDialect<LLMOptDialect, func::FuncDialect>();
  std::string source = mainOf("return %x : tensor<?x4xf32>\n", "tensor<?x4xf32>");
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module);
  Value x = module->lookupSymbol<func::FuncOp>("main").getArgument(0);
  SymDim n = SymDim::symbol(0);
  std::optional<SymDim> bytes = symbolicBytes(x, {n, SymDim::constant(4)});
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, *n.times(SymDim::constant(16)));
  EXPECT_EQ(symbolicBytes(x, {SymDim{1, 2, {0}}, SymDim::constant(8)}), bytes);  // [n/2, 8]
  EXPECT_FALSE(symbolicBytes(x, {SymDim::constant(int64_t(1) << 62), n}));      // overflows
}

}  // namespace
