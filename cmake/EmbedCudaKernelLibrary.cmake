# cmake -DLIBRARY_DIR=<runtime/kernels/cuda> -DOUTPUT=<file.cpp> -P EmbedCudaKernelLibrary.cmake
#
# Joins the CUDA kernel library into one C++ string (llmopt::kCudaKernelLibrary): op_args.h and
# the files kernels.cuh includes, in that order, then kernels.cuh itself, every line starting with
# `#include "` dropped (the files are all there, in dependency order).
cmake_minimum_required(VERSION 3.20)

file(STRINGS "${LIBRARY_DIR}/kernels.cuh" umbrella_lines)
set(files "")
foreach(line IN LISTS umbrella_lines)
  if(line MATCHES "^#include \"kernels/cuda/([A-Za-z0-9_.]+)\"")
    list(APPEND files "${CMAKE_MATCH_1}")
  endif()
endforeach()
list(APPEND files kernels.cuh)
list(REMOVE_DUPLICATES files)

set(text "")
foreach(name IN LISTS files)
  if(NOT EXISTS "${LIBRARY_DIR}/${name}")
    message(FATAL_ERROR "kernels.cuh includes ${name}, which is not in ${LIBRARY_DIR}")
  endif()
  file(READ "${LIBRARY_DIR}/${name}" content)
  string(REGEX REPLACE "\n#include \"[^\n]*" "\n" content "\n${content}")
  string(APPEND text "// ---- runtime/kernels/cuda/${name} ----\n${content}\n")
endforeach()
if(text MATCHES "\\)llmopt_cu\"")
  message(FATAL_ERROR "the kernel library contains the raw string's delimiter")
endif()

set(cpp "// Generated from runtime/kernels/cuda by cmake/EmbedCudaKernelLibrary.cmake: do not edit.\n")
string(APPEND cpp "#include \"backends/cuda/KernelLibrary.h\"\n\nnamespace llmopt {\n\n")
string(APPEND cpp "extern const char kCudaKernelLibrary[] = R\"llmopt_cu(${text})llmopt_cu\";\n")
string(APPEND cpp "\n}  // namespace llmopt\n")
file(WRITE "${OUTPUT}" "${cpp}")
