# Benchmarks: bench/<subsystem>/bench_*.c, one executable each (bench_<subsystem>_<name>),
# linked against every umbra library. `make bench` runs scripts/bench, which runs each
# bench/<subsystem>/run.sh (given the build dir) — that script prints the comparison table.
file(GLOB UMBRA_BENCH_SRC CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/bench/*/bench_*.c")
foreach(f ${UMBRA_BENCH_SRC})
  get_filename_component(n ${f} NAME_WE)
  get_filename_component(d ${f} DIRECTORY)
  get_filename_component(sub ${d} NAME)
  set(target "bench_${sub}_${n}")
  string(REPLACE "bench_${sub}_bench_" "bench_${sub}_" target "${target}")
  add_executable(${target} ${f})
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/src/${sub})
  target_compile_options(${target} PRIVATE ${UMBRA_WARN} -Wno-missing-prototypes)
  target_compile_definitions(${target} PRIVATE _GNU_SOURCE)
  target_link_libraries(${target} PRIVATE umbra_session umbra_wasm umbra_crypto umbra_base)
endforeach()
