// How kernels split work across threads without knowing who runs it (the session's thread pool,
// or nothing: a null Parallel* runs everything on the calling thread).
#ifndef LLMOPT_KERNELS_CPU_PARALLEL_H
#define LLMOPT_KERNELS_CPU_PARALLEL_H

#include <cstdint>
#include <type_traits>

namespace llmopt::kernels {

class Parallel {
 public:
  virtual ~Parallel() = default;
  virtual int numThreads() const = 0;
  // Calls task(context, i) once for every i in [0, count), possibly concurrently, and returns
  // when all calls have returned.
  virtual void forEach(int64_t count, void (*task)(void* context, int64_t index),
                       void* context) = 0;
};

template <class Fn>
void parallelFor(Parallel* parallel, int64_t count, Fn&& fn) {
  if (parallel == nullptr || count <= 1 || parallel->numThreads() <= 1) {
    for (int64_t i = 0; i < count; ++i) fn(i);
    return;
  }
  using F = std::remove_reference_t<Fn>;
  parallel->forEach(
      count, [](void* context, int64_t index) { (*static_cast<F*>(context))(index); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

}  // namespace llmopt::kernels

#endif  // LLMOPT_KERNELS_CPU_PARALLEL_H
