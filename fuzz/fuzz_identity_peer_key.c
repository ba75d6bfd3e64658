/* libFuzzer target: umbra_identity_parse_peer_key (peer keys come from command lines,
 * pairing cards and files). A parsed key must re-format to the trimmed input exactly and
 * carry the id derived from its public keys. Inputs that start with "upk1." and have the
 * right length reach the base64url decoder and the checksum. */
#include "umbra/identity.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static umbra_peer_key pk;
    static char s[UMBRA_PEER_KEY_LEN + 64], again[UMBRA_PEER_KEY_LEN + 1];
    char err[UMBRA_IDENTITY_ERR_LEN], id[UMBRA_IDENTITY_ID_LEN + 1];
    if (size >= sizeof s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    int rc = umbra_identity_parse_peer_key(s, &pk, err, sizeof err);
    if (rc) {
        if (rc != UMBRA_EMALFORMED && rc != UMBRA_ECORRUPT) abort();
        if (!err[0]) abort();
        return 0;
    }
    if (umbra_identity_format_peer_key(&pk, again, sizeof again) != UMBRA_PEER_KEY_LEN) abort();
    if (!strstr(s, again)) abort();
    umbra_identity_derive_id(pk.compsig_pk, pk.xwing_pk, id);
    if (strcmp(id, pk.id)) abort();
    return 0;
}
