# wasm tests: build-time steps for tests/wasm/.
# - tests/wasm/hostile/*.wat are compiled with wat2wasm (wabt, installed by scripts/bootstrap)
#   into ${CMAKE_BINARY_DIR}/wasm-hostile/*.wasm before wasm_test_hostile is built; the test
#   finds them through UMBRA_BUILD_DIR and skips with a message if wat2wasm was missing.
# - The differential test against node/V8 is labelled "slow" (it spawns wasm-opt and node),
#   so the ASan run (-LE slow) leaves it out.
find_program(UMBRA_WAT2WASM wat2wasm)
file(GLOB UMBRA_HOSTILE_WAT CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/tests/wasm/hostile/*.wat")
set(_hostile_out "${CMAKE_BINARY_DIR}/wasm-hostile")
set(_hostile_wasm "")
if(UMBRA_WAT2WASM)
  foreach(w ${UMBRA_HOSTILE_WAT})
    get_filename_component(n ${w} NAME_WE)
    add_custom_command(OUTPUT "${_hostile_out}/${n}.wasm"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${_hostile_out}"
      COMMAND ${UMBRA_WAT2WASM} "${w}" -o "${_hostile_out}/${n}.wasm"
      DEPENDS "${w}" COMMENT "wat2wasm ${n}.wat" VERBATIM)
    list(APPEND _hostile_wasm "${_hostile_out}/${n}.wasm")
  endforeach()
else()
  message(WARNING "wat2wasm not found (run scripts/bootstrap): wasm_test_hostile will skip")
endif()
add_custom_target(wasm_hostile_modules DEPENDS ${_hostile_wasm})
if(TARGET wasm_test_hostile)
  add_dependencies(wasm_test_hostile wasm_hostile_modules)
endif()
if(TARGET wasm_test_differential)
  set_tests_properties(wasm_test_differential PROPERTIES LABELS "wasm;slow")
endif()
