// Dispatch on an element size to an unsigned integer type of that size, so dtype-agnostic kernels
// (where, expand, gather, ...) move elements as plain words the compiler can vectorise.
#ifndef LLMOPT_KERNELS_CPU_GENERIC_ELEM_BITS_H
#define LLMOPT_KERNELS_CPU_GENERIC_ELEM_BITS_H

#include <cstddef>
#include <cstdint>

namespace llmopt::kernels::cpu {

// Calls fn(Word{}) with Word = uint8_t, uint16_t, uint32_t or uint64_t for elem_size 1, 2, 4 or
// 8; returns false (calling nothing) for any other size.
template <class Fn>
bool withElemWord(size_t elem_size, Fn&& fn) {
  switch (elem_size) {
    case 1: fn(uint8_t{}); return true;
    case 2: fn(uint16_t{}); return true;
    case 4: fn(uint32_t{}); return true;
    case 8: fn(uint64_t{}); return true;
    default: return false;
  }
}

}  // namespace llmopt::kernels::cpu

#endif  // LLMOPT_KERNELS_CPU_GENERIC_ELEM_BITS_H
