# Build-time guest compilation for the WASI tests and the wasm benchmarks.
#
#   tests/wasm/guests/NAME.c  → ${BUILD}/wasm_guests/NAME.wasm (clang-19 --target=wasm32-wasi)
#                               ${BUILD}/wasm_guests/NAME       (native, gcc -O2)
#   bench/wasm/kernels/NAME.c → ${BUILD}/bench_wasm/NAME.wasm and ${BUILD}/bench_wasm/NAME
#
# Both builds use -O2 and no sanitizer flags (the native build is the reference the tests
# compare against and the baseline of the benchmark table). The custom target
# `wasm_guests` is part of `all`; the WASI test depends on it. When clang-19 or the
# wasi-libc sysroot is missing the target is empty and the guest tests report a skip.

find_program(UMBRA_WASM_CLANG NAMES clang-19 clang)
find_program(UMBRA_NATIVE_CC NAMES gcc cc)
set(UMBRA_WASI_SYSROOT "/usr" CACHE PATH "wasi-libc sysroot (Debian: /usr)")

set(_guest_out "${CMAKE_BINARY_DIR}/wasm_guests")
set(_bench_out "${CMAKE_BINARY_DIR}/bench_wasm")
file(MAKE_DIRECTORY "${_guest_out}" "${_bench_out}")

set(_wasm_outputs "")
if(UMBRA_WASM_CLANG AND EXISTS "${UMBRA_WASI_SYSROOT}/lib/wasm32-wasi/crt1-command.o")
  set(UMBRA_HAVE_WASM_GUESTS ON)
else()
  set(UMBRA_HAVE_WASM_GUESTS OFF)
  message(STATUS "wasm guests: clang-19 or wasi-libc missing; WASI guest tests will skip")
endif()

# A guest named reactor*.c is a WASI reactor (no main; exports called with --invoke): it is
# built with -mexec-model=reactor and has no native twin.
function(_umbra_guest src outdir)
  get_filename_component(n ${src} NAME_WE)
  set(outs "")
  set(model "")
  if(n MATCHES "^reactor")
    set(model "-mexec-model=reactor")
  else()
    set(native "${outdir}/${n}")
    add_custom_command(OUTPUT "${native}"
      COMMAND ${UMBRA_NATIVE_CC} -O2 -std=gnu11 -w -o "${native}" "${src}" -lm
      DEPENDS "${src}" COMMENT "native guest ${n}" VERBATIM)
    list(APPEND outs "${native}")
  endif()
  if(UMBRA_HAVE_WASM_GUESTS)
    set(wasm "${outdir}/${n}.wasm")
    add_custom_command(OUTPUT "${wasm}"
      COMMAND ${UMBRA_WASM_CLANG} --target=wasm32-wasi --sysroot=${UMBRA_WASI_SYSROOT} -O2 -w ${model}
              -o "${wasm}" "${src}"
      DEPENDS "${src}" COMMENT "wasm32-wasi guest ${n}" VERBATIM)
    list(APPEND outs "${wasm}")
  endif()
  set(_wasm_outputs ${_wasm_outputs} ${outs} PARENT_SCOPE)
endfunction()

file(GLOB _guest_src CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/tests/wasm/guests/*.c")
foreach(s ${_guest_src})
  _umbra_guest(${s} "${_guest_out}")
endforeach()
file(GLOB _kernel_src CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/bench/wasm/kernels/*.c")
foreach(s ${_kernel_src})
  _umbra_guest(${s} "${_bench_out}")
endforeach()

add_custom_target(wasm_guests ALL DEPENDS ${_wasm_outputs})
if(TARGET wasm_test_wasi)
  add_dependencies(wasm_test_wasi wasm_guests)
endif()
