#include "kernels/cpu/generic/qisa.h"

#include <cstdlib>
#include <cstring>

namespace llmopt::kernels::cpu {

QIsa forcedQIsa() {
  static const QIsa isa = [] {
    const char* name = std::getenv("LLMOPT_ISA");
    if (name == nullptr) return QIsa::Best;
    if (std::strcmp(name, "scalar") == 0) return QIsa::Scalar;
    if (std::strcmp(name, "avx2") == 0) return QIsa::Avx2;
    if (std::strcmp(name, "avxvnni") == 0) return QIsa::AvxVnni;
    if (std::strcmp(name, "avx512vnni") == 0) return QIsa::Avx512;
    if (std::strcmp(name, "amx") == 0) return QIsa::Amx;
    if (std::strcmp(name, "neon") == 0) return QIsa::Neon;
    if (std::strcmp(name, "neondot") == 0) return QIsa::NeonDot;
    return QIsa::Best;
  }();
  return isa;
}

}  // namespace llmopt::kernels::cpu
