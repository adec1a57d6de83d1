//===- ShapeInference.cpp - shape rules of llmopt ops ---------------------===//
#include "ir/ShapeInference.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"

#include <algorithm>

namespace llmopt {
namespace {
constexpr int64_t kDynamic = mlir::ShapedType::kDynamic;

bool isDynamic(int64_t dim) { return dim == kDynamic; }
}  // namespace

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ", ";
    text += isDynamic(shape[i]) ? std::string("?") : std::to_string(shape[i]);
  }
  return text + "]";
}

std::optional<int64_t> staticElementCount(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    if (!isDynamic(dim) && __builtin_mul_overflow(count, dim, &count)) return std::nullopt;
  return count;
}

ShapeOrError broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  Shape result(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right.
    int64_t a = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t b = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (a == 1) {
      result[i] = b;
    } else if (b == 1) {
      result[i] = a;
    } else if (isDynamic(a)) {
      result[i] = b;
    } else if (isDynamic(b) || a == b) {
      result[i] = a;
    } else {
      return "shapes " + formatShape(lhs) + " and " + formatShape(rhs) + " do not broadcast";
    }
  }
  return result;
}

ShapeOrError matmulShape(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs) {
  if (lhs.empty() || rhs.empty()) return std::string("matmul operands must have rank >= 1");
  // numpy: a vector operand is promoted to a matrix, and the promoted dim dropped afterwards.
  Shape a(lhs.begin(), lhs.end()), b(rhs.begin(), rhs.end());
  bool lhsVector = a.size() == 1, rhsVector = b.size() == 1;
  if (lhsVector) a.insert(a.begin(), 1);
  if (rhsVector) b.push_back(1);
  int64_t k1 = a[a.size() - 1], k2 = b[b.size() - 2];
  if (!isDynamic(k1) && !isDynamic(k2) && k1 != k2)
    return "matmul contraction dims differ: " + formatShape(lhs) + " · " + formatShape(rhs);
  ShapeOrError batch = broadcastShapes(llvm::ArrayRef<int64_t>(a).drop_back(2),
                                       llvm::ArrayRef<int64_t>(b).drop_back(2));
  if (auto* error = std::get_if<std::string>(&batch))
    return "matmul batch dims: " + *error;
  Shape result = std::get<Shape>(batch);
  if (!lhsVector) result.push_back(a[a.size() - 2]);
  if (!rhsVector) result.push_back(b.back());
  return result;
}

ShapeOrError linearShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                         const llvm::ArrayRef<int64_t>* bias) {
  if (weight.size() != 2)
    return "linear weight must be [N, K], got " + formatShape(weight);
  if (input.empty()) return std::string("linear input must have rank >= 1");
  int64_t n = weight[0], k = weight[1];
  if (!isDynamic(input.back()) && !isDynamic(k) && input.back() != k)
    return "linear input " + formatShape(input) + " does not match weight " +
           formatShape(weight) + " (K differs)";
  if (bias && (bias->size() != 1 || (!isDynamic((*bias)[0]) && !isDynamic(n) && (*bias)[0] != n)))
    return "linear bias must be [" + std::to_string(n) + "], got " + formatShape(*bias);
  Shape result(input.begin(), input.end());
  result.back() = n;
  return result;
}

ShapeOrError reshapeShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> spec) {
  Shape result;
  int inferred = -1;
  bool inputStatic = llvm::none_of(input, isDynamic);
  int64_t known = 1;  // product of the result dims other than the inferred one
  bool knownStatic = true;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t entry = spec[i];
    if (entry == -1) {
      if (inferred >= 0) return std::string("reshape: more than one -1 in the target shape");
      inferred = static_cast<int>(i);
      result.push_back(kDynamic);
      continue;
    }
    if (entry < -1) return "reshape: invalid target dim " + std::to_string(entry);
    int64_t dim = entry;
    if (entry == 0) {
      if (i >= input.size())
        return "reshape: target dim " + std::to_string(i) + " is 0 (copy) but the input has rank " +
               std::to_string(input.size());
      dim = input[i];
    }
    result.push_back(dim);
    if (isDynamic(dim))
      knownStatic = false;
    else if (__builtin_mul_overflow(known, dim, &known))
      return "reshape: target shape " + formatShape(spec) + " has too many elements";
  }
  std::optional<int64_t> inputCount = staticElementCount(input);
  if (!inputCount) return "reshape: input shape " + formatShape(input) + " has too many elements";
  int64_t total = *inputCount;
  if (inferred >= 0) {
    if (inputStatic && knownStatic) {
      if (known == 0 || total % known != 0)
        return "reshape: cannot reshape " + formatShape(input) + " to " + formatShape(spec);
      result[inferred] = total / known;
    }
  } else if (inputStatic && knownStatic && total != known) {
    return "reshape: " + formatShape(input) + " has " + std::to_string(total) +
           " elements, target " + formatShape(result) + " has " + std::to_string(known);
  }
  return result;
}

ShapeOrError transposeShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> perm) {
  if (perm.size() != input.size())
    return "transpose: perm has " + std::to_string(perm.size()) + " entries, input rank is " +
           std::to_string(input.size());
  llvm::SmallVector<bool, 8> seen(perm.size(), false);
  Shape result;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(perm.size()) || seen[p])
      return "transpose: perm " + formatShape(perm) + " is not a permutation";
    seen[p] = true;
    result.push_back(input[p]);
  }
  return result;
}

}  // namespace llmopt
