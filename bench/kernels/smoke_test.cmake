# ctest bench.kernel_bench_smoke: runs llmopt-kernel-bench --quick on 2 threads and checks the
# format of its table and of its --json file. The numbers are not checked (tiny sizes, any
# machine). cmake -DBENCH=<program> -DWORK_DIR=<dir> [-DEMULATOR=<qemu;args>] -P smoke_test.cmake
# (EMULATOR: the cross build's CMAKE_CROSSCOMPILING_EMULATOR, which runs the program)
set(json_file ${WORK_DIR}/kernel_bench_smoke.json)
file(REMOVE ${json_file})
execute_process(COMMAND ${EMULATOR} ${BENCH} --quick --threads 2 --json ${json_file}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "llmopt-kernel-bench exited with ${rc}")
endif()

# Every indented line is a row: label, thread count, then a rate with its unit and optional
# fractions of limits, or "not supported".
set(rate "[0-9]+\\.[0-9] (GFLOP/s|GMAC/s|GB/s)")
set(fraction "[0-9]+\\.[0-9]% of [a-z0-9 ]+")
set(of_bandwidth " +[0-9]+\\.[0-9]% of read bandwidth\n")
set(row_re "^  [^ ].* +[0-9]+ threads? +(${rate}( +${fraction}(, +${fraction})*)?|not supported)$")
string(REPLACE "\n" ";" lines "${out}")
set(table_rows 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^  ")
    if(NOT line MATCHES "${row_re}")
      message(FATAL_ERROR "not a table row: '${line}'")
    endif()
    math(EXPR table_rows "${table_rows} + 1")
  endif()
endforeach()

set(text "\n${out}")  # so that every line, the first too, follows a newline
foreach(expected
    "\ncpu: [^\n]+\n"
    "\ncores: [0-9]+ \\([0-9]+ logical cpus\\)"
    "\nmachine limits[^\n]*\n"
    "\n  read bandwidth, [^\n]+   1 thread  +${rate}\n"
    "\n  read bandwidth, [^\n]+   2 threads +${rate}\n"
    "\nkernels\n"
    "\n  int8 gemm 32x256x512 scalar linearW8A8 +1 thread  +${rate}"
    "\n  int8 gemm 32x256x512 scalar microkernel +1 thread  +${rate}"
    "\n  fp32 gemm 32x256x512 [a-z0-9]+ gemmF32 +1 thread  +${rate}"
    "\n  int8 w8a8 gemv 1x256x1000 [a-z0-9]+ x[0-9]+ +2 threads +${rate}${of_bandwidth}"
    "\n  int8 decoded gemv 1x256x1000 [a-z0-9]+ x[0-9]+ +1 thread  +${rate}${of_bandwidth}"
    "\n  int4 g64 decoded gemv 1x256x1000 [a-z0-9]+ x[0-9]+ +2 threads +${rate}${of_bandwidth}"
    "\n  decode attention int8 cache 12x64 at 70 [a-z0-9]+ x[0-9]+ +2 threads +${rate}${of_bandwidth}")
  if(NOT text MATCHES "${expected}")
    message(FATAL_ERROR "no match in the table for: ${expected}")
  endif()
endforeach()

# The JSON: the machine, the settings and one object per table row, each with its numbers.
file(READ ${json_file} json)
string(JSON cpu GET "${json}" machine cpu)
string(JSON quick GET "${json}" settings quick)
if(cpu STREQUAL "" OR NOT quick)
  message(FATAL_ERROR "machine.cpu or settings.quick missing in ${json_file}")
endif()
set(json_rows 0)
foreach(section limits kernels)
  string(JSON count LENGTH "${json}" ${section})
  if(count EQUAL 0)
    message(FATAL_ERROR "no ${section} in ${json_file}")
  endif()
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON row GET "${json}" ${section} ${i})
    string(JSON id GET "${row}" id)
    string(JSON supported GET "${row}" supported)
    string(JSON value_type TYPE "${row}" value)
    string(JSON runs LENGTH "${row}" runs)
    if(supported AND (NOT value_type STREQUAL "NUMBER" OR runs EQUAL 0))
      message(FATAL_ERROR "${section} row ${id}: no value or no runs")
    endif()
    if(NOT supported AND NOT value_type STREQUAL "NULL")
      message(FATAL_ERROR "${section} row ${id}: a value although not supported")
    endif()
    if(id MATCHES "^gemv\\.")  # the table shows a fraction of the read bandwidth
      string(JSON fraction GET "${row}" fraction_of read_bandwidth)
    endif()
  endforeach()
  math(EXPR json_rows "${json_rows} + ${count}")
endforeach()
if(NOT json_rows EQUAL table_rows)
  message(FATAL_ERROR "${table_rows} table rows but ${json_rows} JSON rows")
endif()
