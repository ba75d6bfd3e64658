/* cmd_id.c — `umbra id`: create (on first use) and show this node's identity. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "umbra/identity.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: umbra id [--json | --peer-key] [--home DIR] [--no-create]\n\n"
            "Creates this node's identity on first use and shows it: the node id, fingerprints\n"
            "of the public keys and the file paths. An existing identity is never replaced.\n\n"
            "options:\n"
            "  --json          print the same information as one JSON object\n"
            "  --peer-key      print only the peer key string (what `umbra connect --peer-key`\n"
            "                  takes; share it with the peers that connect to this node)\n"
            "  --home DIR      state directory (also --home=DIR; default $UMBRA_HOME, else\n"
            "                  ~/.local/share/umbra)\n"
            "  --no-create     fail (exit 1) when there is no identity yet instead of creating one\n"
            "  -h, --help      this help\n\n"
            "files (in the state directory, which is kept 0700):\n"
            "  identity.key    the secret seeds, mode 0600; refused if others can read it\n"
            "  identity.pub    the peer key string, mode 0644\n\n"
            "exit codes: 0 ok, 1 failure (I/O, unsafe permissions, no identity with --no-create),\n"
            "            2 usage, 3 corrupt or unsupported identity file (left untouched)\n");
}

/* "sha256:" + hex of SHA-256(pk). */
static void fingerprint(char out[7 + 64 + 1], const uint8_t *pk, size_t n) {
    uint8_t h[32];
    uc_sha256(h, pk, n);
    memcpy(out, "sha256:", 7);
    umbra_hex_encode(out + 7, 65, h, sizeof h);
}

static int exit_code_for(int rc) {
    switch (rc) {
    case UMBRA_ECORRUPT:
    case UMBRA_EUNSUPPORTED:
    case UMBRA_EBADKEY:
    case UMBRA_EMALFORMED: return UMBRA_EXIT_INPUT;
    default: return UMBRA_EXIT_FAIL;
    }
}

static int print_json(const umbra_identity *id, const char *home, int created, const char *peer_key,
                      const char *fp_sig, const char *fp_kem) {
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:i}, s:{s:s, s:i}}",
                          "id", umbra_identity_id(id), "home", home, "key_file", umbra_identity_key_path(id),
                          "pub_file", umbra_identity_pub_path(id), "peer_key", peer_key, "signing_fingerprint",
                          fp_sig, "kem_fingerprint", fp_kem, "created", created, "signing", "alg",
                          "id-MLDSA65-Ed25519-SHA512", "public_key_len", UC_COMPSIG_PK_LEN, "kem", "alg",
                          "X-Wing", "public_key_len", UC_XWING_PK_LEN);
    if (!j) return cli_error("id", UMBRA_EXIT_FAIL, "out of memory");
    umbra_buf b;
    umbra_buf_init(&b, 0);
    int rc = umbra_json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS, &b);
    json_decref(j);
    if (rc) {
        umbra_buf_free(&b);
        return cli_error("id", UMBRA_EXIT_FAIL, "cannot format JSON: %s", umbra_strerror(rc));
    }
    printf("%s\n", (char *)b.data);
    umbra_buf_free(&b);
    return UMBRA_EXIT_OK;
}

int cmd_id(int argc, char **argv) {
    int json = 0, peer_only = 0, no_create = 0, created = 0, rc;
    const char *home_opt = NULL;
    char home[PATH_MAX], err[UMBRA_IDENTITY_ERR_LEN];
    static char peer_key[UMBRA_PEER_KEY_LEN + 1];

    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return UMBRA_EXIT_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--peer-key")) peer_only = 1;
        else if (!strcmp(argv[i], "--no-create")) no_create = 1;
        else if (!strcmp(argv[i], "--home") && i + 1 < argc) home_opt = argv[++i];
        else if (!strncmp(argv[i], "--home=", 7)) home_opt = argv[i] + 7;
        else {
            usage(stderr);
            return cli_error("id", UMBRA_EXIT_USAGE, "unknown or incomplete option '%s'", argv[i]);
        }
    }
    if (json && peer_only) return cli_error("id", UMBRA_EXIT_USAGE, "--json and --peer-key exclude each other");
    if (home_opt) {
        if (!*home_opt || snprintf(home, sizeof home, "%s", home_opt) >= (int)sizeof home)
            return cli_error("id", UMBRA_EXIT_USAGE, "bad --home");
    } else if ((rc = cli_home(home, sizeof home, 0)) != 0) {
        return cli_error("id", UMBRA_EXIT_FAIL, "cannot determine the state directory (set UMBRA_HOME): %s",
                         umbra_strerror(rc));
    }

    umbra_identity *id = NULL;
    if (no_create) rc = umbra_identity_load(home, &id, err, sizeof err);
    else rc = umbra_identity_load_or_create(home, &id, &created, err, sizeof err);
    if (rc == UMBRA_ENOENT && no_create)
        return cli_error("id", UMBRA_EXIT_FAIL, "no identity in %s (run `umbra id` to create one)", home);
    if (rc) return cli_error("id", exit_code_for(rc), "%s", err[0] ? err : umbra_strerror(rc));

    int code = UMBRA_EXIT_OK;
    char fp_sig[72], fp_kem[72];
    fingerprint(fp_sig, umbra_identity_compsig_pk(id), UC_COMPSIG_PK_LEN);
    fingerprint(fp_kem, umbra_identity_xwing_pk(id), UC_XWING_PK_LEN);
    rc = umbra_identity_peer_key(id, peer_key, sizeof peer_key);
    if (rc < 0) {
        code = cli_error("id", UMBRA_EXIT_FAIL, "cannot format the peer key: %s", umbra_strerror(rc));
    } else if (peer_only) {
        printf("%s\n", peer_key);
    } else if (json) {
        code = print_json(id, home, created, peer_key, fp_sig, fp_kem);
    } else {
        if (created) fprintf(stderr, "umbra id: created a new identity in %s\n", home);
        printf("id:         %s\n"
               "signing:    id-MLDSA65-Ed25519-SHA512  %s\n"
               "kem:        X-Wing                     %s\n"
               "key file:   %s\n"
               "public:     %s  (print it with `umbra id --peer-key`)\n",
               umbra_identity_id(id), fp_sig, fp_kem, umbra_identity_key_path(id), umbra_identity_pub_path(id));
    }
    umbra_identity_free(id);
    if (fflush(stdout) != 0 && code == UMBRA_EXIT_OK) code = cli_error("id", UMBRA_EXIT_FAIL, "cannot write output");
    return code;
}
