# libFuzzer targets: fuzz/fuzz_*.c, built only with -DUMBRA_FUZZ=ON and clang-19
# (`make fuzz`). Each target links every umbra library and defines LLVMFuzzerTestOneInput.
option(UMBRA_FUZZ "Build libFuzzer targets (needs clang)" OFF)
if(UMBRA_FUZZ)
  file(GLOB UMBRA_FUZZ_SRC CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.c")
  foreach(f ${UMBRA_FUZZ_SRC})
    get_filename_component(n ${f} NAME_WE)
    add_executable(${n} ${f})
    target_include_directories(${n} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/src/base
      ${CMAKE_SOURCE_DIR}/src/crypto ${CMAKE_SOURCE_DIR}/src/wasm ${CMAKE_SOURCE_DIR}/src/session)
    target_compile_options(${n} PRIVATE -fsanitize=fuzzer)
    target_link_options(${n} PRIVATE -fsanitize=fuzzer)
    target_compile_definitions(${n} PRIVATE _GNU_SOURCE)
    target_link_libraries(${n} PRIVATE umbra_session umbra_wasm umbra_crypto umbra_base)
  endforeach()
endif()
