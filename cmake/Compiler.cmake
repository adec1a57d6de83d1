# Everything the compiler (not the runtime) needs: LLVM/MLIR 16, ONNX + protobuf, Eigen, CLI11,
# yaml-cpp. See ../shared/BUILD-NOTES.md for why each line is the way it is.
# Otherwise, with Ninja, every tablegen'd .inc is regenerated on every build. It must be set
# before TableGen.cmake is included: CMake functions keep the policies of their definition.
cmake_policy(SET CMP0116 OLD)

set(MLIR_DIR /usr/lib/llvm-16/lib/cmake/mlir CACHE PATH "MLIR 16 CMake package")
find_package(MLIR REQUIRED CONFIG)
message(STATUS "Using MLIRConfig.cmake in: ${MLIR_DIR}")

list(APPEND CMAKE_MODULE_PATH "${MLIR_CMAKE_DIR}" "${LLVM_CMAKE_DIR}")
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)

include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
include_directories(${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
separate_arguments(LLVM_DEFINITIONS_LIST NATIVE_COMMAND ${LLVM_DEFINITIONS})
add_definitions(${LLVM_DEFINITIONS_LIST})

# Protobuf before ONNX: ONNX's config expects the protobuf targets.
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED CONFIG)
find_package(Eigen3 REQUIRED NO_MODULE)
find_package(CLI11 REQUIRED CONFIG)
find_package(yaml-cpp REQUIRED)

# One link mode for MLIR: the single shared libMLIR.so (Debian builds it with everything).
set(LLMOPT_MLIR_LIBS MLIR)

set(LLMOPT_LIT /usr/lib/llvm-16/build/utils/lit/lit.py)
set(LLVM_EXTERNAL_LIT ${LLMOPT_LIT} CACHE STRING "lit" FORCE)
