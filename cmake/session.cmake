# Session subsystem extras. The session benches compare against OpenSSL TLS 1.3, so they
# need libssl (the libraries only use libcrypto). bench.cmake is included before this file.
foreach(t bench_session_tls bench_session_session)
  if(TARGET ${t})
    target_link_libraries(${t} PRIVATE OpenSSL::SSL Threads::Threads)
  endif()
endforeach()
