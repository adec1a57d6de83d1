# ctest script: the shared runtime depends on nothing of the compiler. Fails when a NEEDED entry
# or an undefined dynamic symbol names MLIR, LLVM, protobuf, ONNX, Eigen, yaml-cpp or the
# FlatBuffers library, or when it exports anything but the C API; prints its stripped size and
# fails above the budget in BUDGET_FILE (runtime/size_budget.txt).
# The sanitizer runtimes (libasan, libubsan) are allowed only in a sanitizer build (SANITIZE=ON).
#   cmake -DLIBRARY=<path/to/libllmopt_runtime.so> [-DSANITIZE=ON] [-DBUDGET_FILE=<file>]
#         -P check_shared_deps.cmake
if(NOT LIBRARY OR NOT EXISTS "${LIBRARY}")
  message(FATAL_ERROR "LIBRARY not set or missing: '${LIBRARY}'")
endif()
find_program(READELF readelf REQUIRED)
find_program(NM nm REQUIRED)
if(NOT STRIP)  # the build's (cross) strip when given
  find_program(STRIP strip REQUIRED)
endif()

set(forbidden "mlir|llvm|protobuf|onnx|eigen|yaml|libflatbuffers|flatbuffers::")

execute_process(COMMAND ${READELF} -d "${LIBRARY}" OUTPUT_VARIABLE dynamic
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -d failed on ${LIBRARY}")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^\n]*" needed "${dynamic}")
message(STATUS "NEEDED: ${needed}")
string(TOLOWER "${needed}" needed_lower)
if(needed_lower MATCHES "${forbidden}")
  message(FATAL_ERROR "libllmopt_runtime.so needs a compiler library: ${needed}")
endif()
if(NOT SANITIZE AND needed_lower MATCHES "libasan|libubsan")
  message(FATAL_ERROR "libllmopt_runtime.so needs a sanitizer runtime outside a sanitizer build: ${needed}")
endif()

execute_process(COMMAND ${NM} -D -C --undefined-only "${LIBRARY}" OUTPUT_VARIABLE undefined
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm -D failed on ${LIBRARY}")
endif()
string(TOLOWER "${undefined}" undefined_lower)
if(undefined_lower MATCHES "${forbidden}")
  string(REGEX MATCHALL "[^\n]*(${forbidden})[^\n]*" offenders "${undefined_lower}")
  message(FATAL_ERROR "libllmopt_runtime.so imports compiler symbols: ${offenders}")
endif()

execute_process(COMMAND ${NM} -D --defined-only "${LIBRARY}" OUTPUT_VARIABLE defined)
string(REGEX MATCHALL "[0-9a-f]+ [TDBRVWiu] [^\n]+" exported "${defined}")
set(count 0)
foreach(line IN LISTS exported)
  string(REGEX REPLACE "^[0-9a-f]+ [A-Za-z] " "" symbol "${line}")
  if(NOT symbol MATCHES "^llmopt_" AND NOT symbol MATCHES "^LLMOPT_")
    message(FATAL_ERROR "libllmopt_runtime.so exports a non-API symbol: ${symbol}")
  endif()
  math(EXPR count "${count} + 1")
endforeach()
message(STATUS "exported C API functions: ${count}")

get_filename_component(name "${LIBRARY}" NAME)
set(stripped "${CMAKE_CURRENT_BINARY_DIR}/${name}.stripped")
execute_process(COMMAND ${STRIP} -o "${stripped}" "${LIBRARY}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "strip failed on ${LIBRARY}")
endif()
file(SIZE "${stripped}" size)
file(REMOVE "${stripped}")
math(EXPR kib "${size} / 1024")
message(STATUS "stripped ${name}: ${size} bytes (${kib} KiB)")
# The size budget (its file's last line), except for instrumented builds.
if(BUDGET_FILE AND NOT SANITIZE)
  file(STRINGS "${BUDGET_FILE}" lines REGEX "^[0-9]+$")
  list(GET lines -1 budget)
  if(size GREATER budget)
    message(FATAL_ERROR "stripped ${name} is ${size} bytes, over the budget of ${budget} "
                        "(${BUDGET_FILE})")
  endif()
  message(STATUS "within the budget of ${budget} bytes")
endif()
