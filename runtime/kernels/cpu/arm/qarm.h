// Whether this build has the 64-bit ARM variants of the kernels: aarch64 with GCC or Clang. The
// library's baseline stays armv8-a (NEON, as on a Cortex-A53); the variants that use the dot
// product instructions (armv8.2-a's optional sdot/udot) are compiled with a per-function target
// and only called when the CPU reports them.
#ifndef LLMOPT_KERNELS_CPU_ARM_QARM_H
#define LLMOPT_KERNELS_CPU_ARM_QARM_H

#if defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define LLMOPT_KERNELS_ARM 1

// GCC 12's arm_neon.h declares the dot product intrinsics under "arch=armv8.2-a+dotprod", and
// an always-inline intrinsic only inlines into a function with (at least) the same target.
#define LLMOPT_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#define LLMOPT_INLINE __attribute__((always_inline)) inline

namespace llmopt::kernels::cpu {

// The CPU has the dot product instructions (HWCAP_ASIMDDP): Cortex-A55/A75 and newer, not A53.
bool cpuHasDotProd();

}  // namespace llmopt::kernels::cpu
#endif

#endif  // LLMOPT_KERNELS_CPU_ARM_QARM_H
