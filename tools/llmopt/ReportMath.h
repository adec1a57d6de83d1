//===- ReportMath.h - the arithmetic of the compile reports' error figures -===//
#ifndef LLMOPT_TOOLS_LLMOPT_REPORTMATH_H
#define LLMOPT_TOOLS_LLMOPT_REPORTMATH_H

#include <cstdint>
#include <vector>

namespace llmopt {

/// ‖approx − exact‖ / ‖exact‖ (Frobenius, in double); ‖approx − exact‖ when exact is zero.
double relativeError(const std::vector<float>& approx, const std::vector<float>& exact);

/// x [rows, k] · wᵀ (w [n, k]) → [rows, n].
std::vector<float> multiplyTransposed(const std::vector<float>& x, const std::vector<float>& w,
                                      int64_t k);

}  // namespace llmopt

#endif  // LLMOPT_TOOLS_LLMOPT_REPORTMATH_H
