#include "kernels/cpu/arm/qarm.h"

#ifdef LLMOPT_KERNELS_ARM
#include <sys/auxv.h>

// The bit's value from the kernel's uapi header, for C libraries that lack it.
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif

namespace llmopt::kernels::cpu {

bool cpuHasDotProd() { return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0; }

}  // namespace llmopt::kernels::cpu
#endif  // LLMOPT_KERNELS_ARM
