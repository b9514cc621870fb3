/* jitrun extension cache - annotations and the cache key (private). */
#ifndef JITRUN_EXTCACHE_KEY_H
#define JITRUN_EXTCACHE_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SHA256_Init & co. are deprecated in OpenSSL 3 (see key.c). */
#define OPENSSL_API_COMPAT 0x10100000L
#include <openssl/sha.h>

#include "libjitrun/error.h"
#include "oci_spec.h"

#define JR_EC_ANN_BOOTSTRAP "run.jitrun.bootstrap"
#define JR_EC_ANN_APP       "run.jitrun.app"
#define JR_EC_ANN_VERSION   "run.jitrun.version"
#define JR_EC_ANN_MANIFEST  "run.jitrun.manifest"
#define JR_EC_ANN_COMPAT    "run.jitrun.compat"
#define JR_EC_ANN_MODE      "run.jitrun.mode"
#define JR_EC_ANN_KEY_ENV   "run.jitrun.key-env"
#define JR_EC_ANN_TIMEOUT   "run.jitrun.timeout"

#define JR_EC_DEFAULT_TIMEOUT 900
/* Test-only: pretend to run on another CPU ("arm64", "arm/v7"). */
#define JR_EC_ARCH_ENV "JITRUN_TEST_ARCH"

enum jr_ec_mode
{
  JR_EC_MODE_RW,
  JR_EC_MODE_RO,
  JR_EC_MODE_OFF,
};

/* The run.jitrun.* annotations, validated.  Strings are owned. */
struct jr_ec_config
{
  char **bootstrap; /* NULL terminated */
  size_t bootstrap_len;
  char *bootstrap_json; /* the annotation as given */
  char *app;
  char *version;
  bool compat_major;
  enum jr_ec_mode mode;
  char **key_env;   /* NULL terminated, may be empty */
  char **manifests; /* NULL terminated, may be empty */
  int64_t timeout;  /* seconds */
};

int jr_ec_config_parse (const struct oci_string_map *annotations, struct jr_ec_config *cfg, jr_error_t *err);
void jr_ec_config_free (struct jr_ec_config *cfg);

/* Everything that identifies a layer, plus the key itself (hex sha256 of
   `text`, a canonical rendering of the fields). */
struct jr_ec_key
{
  char *version_key; /* the version, or its compat unit under compat=major */
  char *os_id;
  char *os_version;
  char *arch;
  char *variant; /* "" when none */
  char *text;
  char key[65];
};

int jr_ec_key_compute (const struct jr_ec_config *cfg, const struct oci_spec *spec, int rootfd,
                       struct jr_ec_key *out, jr_error_t *err);
void jr_ec_key_free (struct jr_ec_key *k);

/* ---- pieces, exposed for unit tests ---- */

/* The compatibility unit of a semver version under compat=major: "2" for
   2.3.1, "0.4" for 0.4.2 (a 0.x minor is a breaking change in semver);
   NULL (malloc'ed otherwise) when `version` is not semver, or a pre-release. */
char *jr_ec_semver_compat (const char *version);
/* OCI architecture name and variant for a uname machine string, honouring
   $JITRUN_TEST_ARCH ("arch" or "arch/variant"). */
int jr_ec_arch (const char *machine, char **arch, char **variant, jr_error_t *err);
/* ID and VERSION_ID from os-release text ("" when absent). */
void jr_ec_parse_os_release (const char *buf, size_t len, char **id, char **version_id);
void jr_ec_sha256_hex (const void *buf, size_t len, char out[65]);

/* SHA-256 (OpenSSL's low-level API, see key.c), for the key and the layer
   content digest. */
struct jr_ec_sha256
{
  SHA256_CTX ctx;
};
void jr_ec_sha256_init (struct jr_ec_sha256 *c);
void jr_ec_sha256_update (struct jr_ec_sha256 *c, const void *data, size_t len);
void jr_ec_sha256_final (struct jr_ec_sha256 *c, unsigned char md[32]);

#endif
