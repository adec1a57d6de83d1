// The instruction set the LLMOPT_ISA environment variable forces the kernels to (scalar | avx2 |
// avxvnni | avx512vnni | amx on x86-64, scalar | neon | neondot on aarch64), read once; for
// comparing variants in a running model. A kernel without a variant for it runs its best.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_QISA_H
#define LLMOPT_KERNELS_CPU_GENERIC_QISA_H

#include <cstddef>

namespace llmopt::kernels::cpu {

enum class QIsa { Best, Scalar, Avx2, AvxVnni, Avx512, Amx, Neon, NeonDot };

// QIsa::Best when LLMOPT_ISA is unset or names nothing known.
QIsa forcedQIsa();

// The variants of one kernel built into this library, best first, and the one to run: the
// variant LLMOPT_ISA forces when this CPU supports it, else the first supported one. Variant is
// a struct with a `bool supported`; the last variant added must be supported everywhere.
template <typename Variant>
class IsaVariants {
 public:
  void add(QIsa isa, const Variant& variant) {
    isas_[count_] = isa;
    variants_[count_++] = variant;
  }
  // Call once every variant is added.
  void choose() {
    while (!variants_[best_].supported) ++best_;
    for (size_t i = 0; i < count_; ++i)
      if (isas_[i] == forcedQIsa() && variants_[i].supported) best_ = i;
  }
  const Variant* all(size_t* count) const {
    *count = count_;
    return variants_;
  }
  const Variant& best() const { return variants_[best_]; }

 private:
  static constexpr size_t kMax = 5;  // x86: AMX, AVX-512, AVX-VNNI, AVX2, scalar; ARM: 3
  Variant variants_[kMax] = {};
  QIsa isas_[kMax] = {};
  size_t count_ = 0, best_ = 0;
};

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_QISA_H
