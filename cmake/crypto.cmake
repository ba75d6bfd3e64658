# crypto/: src/crypto/mlkem.c and mldsa.c call PQClean's namespaced internals
# (PQCLEAN_MLKEM768_CLEAN_*, PQCLEAN_MLDSA65_CLEAN_*). Their headers are included by path
# relative to the PQClean root ("crypto_kem/ml-kem-768/clean/indcpa.h"), so each scheme's
# same-named headers (params.h, poly.h) resolve inside its own directory and never clash.
target_include_directories(umbra_crypto PRIVATE "${PQ}")
