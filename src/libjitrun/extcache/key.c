/* jitrun extension cache - annotations and the cache key.
 *
 * The key must change whenever the bootstrap could produce a different
 * layer (app version, OS, CPU, command, chosen env vars, manifests) and
 * must not change for anything else (pod names, hostnames, ...), so that
 * every start of one app version on one node shares a layer. */
#define _GNU_SOURCE
#include <config.h>
#include "key.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "libjitrun/utils.h"

#define OS_RELEASE_MAX (64 * 1024)
#define TIMEOUT_MAX    (7 * 24 * 3600)

static void
hex_encode (const unsigned char *md, size_t n, char *out)
{
  static const char digits[] = "0123456789abcdef";
  size_t i;

  for (i = 0; i < n; i++)
    {
      out[2 * i] = digits[md[i] >> 4];
      out[2 * i + 1] = digits[md[i] & 0xf];
    }
  out[2 * n] = '\0';
}

/* ---- SHA-256, FIPS 180-4 ------------------------------------------------ */

/* first 32 bits of the fractional parts of the cube roots of the first 64
   primes (FIPS 180-4, 4.2.2) */
static const uint32_t sha256_k[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t
ror32 (uint32_t x, unsigned n)
{
  return (x >> n) | (x << (32 - n));
}

static void
sha256_block (uint32_t h[8], const unsigned char *p)
{
  uint32_t w[64], a, b, c, d, e, f, g, hh;
  int i;

  for (i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8
           | (uint32_t)p[4 * i + 3];
  for (i = 16; i < 64; i++)
    {
      uint32_t s0 = ror32 (w[i - 15], 7) ^ ror32 (w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = ror32 (w[i - 2], 17) ^ ror32 (w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
  a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (i = 0; i < 64; i++)
    {
      uint32_t t1
          = hh + (ror32 (e, 6) ^ ror32 (e, 11) ^ ror32 (e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
      uint32_t t2 = (ror32 (a, 2) ^ ror32 (a, 13) ^ ror32 (a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void
jr_ec_sha256_init (struct jr_ec_sha256 *c)
{
  /* fractional parts of the square roots of the first 8 primes (5.3.3) */
  static const uint32_t h0[8]
      = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

  memcpy (c->h, h0, sizeof (h0));
  c->len = 0;
  c->n = 0;
}

void
jr_ec_sha256_update (struct jr_ec_sha256 *c, const void *data, size_t len)
{
  const unsigned char *p = data;

  c->len += len;
  if (c->n > 0)
    {
      size_t take = 64 - c->n < len ? 64 - c->n : len;
      memcpy (c->buf + c->n, p, take);
      c->n += take;
      p += take;
      len -= take;
      if (c->n < 64)
        return;
      sha256_block (c->h, c->buf);
      c->n = 0;
    }
  for (; len >= 64; p += 64, len -= 64)
    sha256_block (c->h, p);
  memcpy (c->buf, p, len);
  c->n = len;
}

void
jr_ec_sha256_final (struct jr_ec_sha256 *c, unsigned char md[32])
{
  uint64_t bits = c->len * 8;
  int i;

  c->buf[c->n++] = 0x80;
  if (c->n > 56)
    {
      memset (c->buf + c->n, 0, 64 - c->n);
      sha256_block (c->h, c->buf);
      c->n = 0;
    }
  memset (c->buf + c->n, 0, 56 - c->n);
  for (i = 0; i < 8; i++)
    c->buf[56 + i] = bits >> (56 - 8 * i);
  sha256_block (c->h, c->buf);
  for (i = 0; i < 8; i++)
    {
      md[4 * i] = c->h[i] >> 24;
      md[4 * i + 1] = c->h[i] >> 16;
      md[4 * i + 2] = c->h[i] >> 8;
      md[4 * i + 3] = c->h[i];
    }
}

void
jr_ec_sha256_hex (const void *buf, size_t len, char out[65])
{
  struct jr_ec_sha256 c;
  unsigned char md[32];

  jr_ec_sha256_init (&c);
  jr_ec_sha256_update (&c, buf, len);
  jr_ec_sha256_final (&c, md);
  hex_encode (md, 32, out);
}

/* ---- annotations --------------------------------------------------------- */

static bool
valid_env_name (const char *s)
{
  if (*s == '\0' || isdigit ((unsigned char)*s))
    return false;
  for (; *s; s++)
    if (!isalnum ((unsigned char)*s) && *s != '_')
      return false;
  return true;
}

int
jr_ec_config_parse (const struct oci_string_map *annotations, struct jr_ec_config *cfg, jr_error_t *err)
{
  const char *bootstrap = oci_string_map_get (annotations, JR_EC_ANN_BOOTSTRAP);
  const char *app = oci_string_map_get (annotations, JR_EC_ANN_APP);
  const char *version = oci_string_map_get (annotations, JR_EC_ANN_VERSION);
  const char *manifest = oci_string_map_get (annotations, JR_EC_ANN_MANIFEST);
  const char *compat = oci_string_map_get (annotations, JR_EC_ANN_COMPAT);
  const char *mode = oci_string_map_get (annotations, JR_EC_ANN_MODE);
  const char *key_env = oci_string_map_get (annotations, JR_EC_ANN_KEY_ENV);
  const char *timeout = oci_string_map_get (annotations, JR_EC_ANN_TIMEOUT);
  cleanup_free char *errmsg = NULL;
  size_t i;

  memset (cfg, 0, sizeof (*cfg));
  cfg->timeout = JR_EC_DEFAULT_TIMEOUT;

  if (mode == NULL || strcmp (mode, "rw") == 0)
    cfg->mode = JR_EC_MODE_RW;
  else if (strcmp (mode, "ro") == 0)
    cfg->mode = JR_EC_MODE_RO;
  else if (strcmp (mode, "off") == 0)
    cfg->mode = JR_EC_MODE_OFF;
  else
    return jr_error (err, 0, "annotation `%s`: invalid value `%s`: expected rw, ro or off", JR_EC_ANN_MODE,
                     mode);

  if (bootstrap == NULL)
    return jr_error (err, 0, "annotation `%s` missing", JR_EC_ANN_BOOTSTRAP);
  {
    /* libocispec's arrays carry a length; ours are NULL terminated too */
    size_t n = 0;
    char **v = oci_json_parse_string_array (bootstrap, &n, JR_EC_ANN_BOOTSTRAP, &errmsg);
    if (v != NULL || errmsg == NULL)
      {
        cfg->bootstrap = xmalloc0 ((n + 1) * sizeof (char *));
        for (i = 0; i < n; i++)
          cfg->bootstrap[i] = v[i];
        cfg->bootstrap_len = n;
        free (v);
      }
  }
  if (cfg->bootstrap == NULL)
    {
      jr_error (err, 0, "annotation `%s`: expected a JSON array of strings: %s", JR_EC_ANN_BOOTSTRAP,
                errmsg ? errmsg : "invalid JSON");
      goto fail;
    }
  if (cfg->bootstrap_len == 0 || cfg->bootstrap[0][0] == '\0')
    {
      jr_error (err, 0, "annotation `%s`: the command must not be empty", JR_EC_ANN_BOOTSTRAP);
      goto fail;
    }
  cfg->bootstrap_json = xstrdup (bootstrap);

  if (app == NULL || *app == '\0')
    {
      jr_error (err, 0, "annotation `%s` is required with `%s`", JR_EC_ANN_APP, JR_EC_ANN_BOOTSTRAP);
      goto fail;
    }
  if (version == NULL || *version == '\0')
    {
      jr_error (err, 0, "annotation `%s` is required with `%s`", JR_EC_ANN_VERSION, JR_EC_ANN_BOOTSTRAP);
      goto fail;
    }
  /* They end up in metadata and `cache list`: keep them printable. */
  for (const char *p = app; *p; p++)
    if (!isgraph ((unsigned char)*p))
      {
        jr_error (err, 0, "annotation `%s`: invalid character in `%s`", JR_EC_ANN_APP, app);
        goto fail;
      }
  for (const char *p = version; *p; p++)
    if (!isgraph ((unsigned char)*p))
      {
        jr_error (err, 0, "annotation `%s`: invalid character in `%s`", JR_EC_ANN_VERSION, version);
        goto fail;
      }
  cfg->app = xstrdup (app);
  cfg->version = xstrdup (version);

  if (compat == NULL || strcmp (compat, "exact") == 0)
    cfg->compat_major = false;
  else if (strcmp (compat, "major") == 0)
    cfg->compat_major = true;
  else
    {
      jr_error (err, 0, "annotation `%s`: invalid value `%s`: expected exact or major", JR_EC_ANN_COMPAT,
                compat);
      goto fail;
    }

  cfg->key_env = jr_split (key_env ? key_env : "", ',');
  for (i = 0; cfg->key_env[i]; i++)
    if (!valid_env_name (cfg->key_env[i]))
      {
        jr_error (err, 0, "annotation `%s`: invalid variable name `%s`", JR_EC_ANN_KEY_ENV, cfg->key_env[i]);
        goto fail;
      }

  cfg->manifests = jr_split (manifest ? manifest : "", ',');

  if (timeout != NULL)
    {
      int64_t t;
      if (jr_parse_int64 (timeout, &t) < 0 || t <= 0 || t > TIMEOUT_MAX)
        {
          jr_error (err, 0, "annotation `%s`: invalid value `%s`: expected seconds between 1 and %d",
                    JR_EC_ANN_TIMEOUT, timeout, TIMEOUT_MAX);
          goto fail;
        }
      cfg->timeout = t;
    }
  return 0;

fail:
  jr_ec_config_free (cfg);
  return -1;
}

void
jr_ec_config_free (struct jr_ec_config *cfg)
{
  jr_strv_free (cfg->bootstrap);
  jr_strv_free (cfg->key_env);
  jr_strv_free (cfg->manifests);
  free (cfg->bootstrap_json);
  free (cfg->app);
  free (cfg->version);
  memset (cfg, 0, sizeof (*cfg));
}

/* ---- key fields ---------------------------------------------------------- */

static bool
parse_number (const char **p)
{
  const char *s = *p;

  if (!isdigit ((unsigned char)*s))
    return false;
  /* semver forbids leading zeros */
  if (*s == '0' && isdigit ((unsigned char)s[1]))
    return false;
  while (isdigit ((unsigned char)*s))
    s++;
  *p = s;
  return true;
}

char *
jr_ec_semver_compat (const char *version)
{
  const char *p = version, *major_end, *minor_start, *minor_end;

  if (*p == 'v')
    p++;
  if (!parse_number (&p))
    return NULL;
  major_end = p;
  if (*p++ != '.')
    return NULL;
  minor_start = p;
  if (!parse_number (&p))
    return NULL;
  minor_end = p;
  if (*p++ != '.')
    return NULL;
  if (!parse_number (&p))
    return NULL;
  /* build metadata does not change compatibility; a pre-release promises
     nothing, so it only ever matches itself (exact). */
  if (*p != '\0' && *p != '+')
    return NULL;
  if (major_end - version == 1 + (*version == 'v') && major_end[-1] == '0')
    return xasprintf ("0.%.*s", (int)(minor_end - minor_start), minor_start);
  return xstrndup (version + (*version == 'v'), major_end - version - (*version == 'v'));
}

int
jr_ec_arch (const char *machine, char **arch, char **variant, jr_error_t *err)
{
  static const struct
  {
    const char *machine, *arch, *variant;
  } table[] = {
    { "x86_64", "amd64", "" },
    { "amd64", "amd64", "" },
    { "aarch64", "arm64", "v8" },
    { "arm64", "arm64", "v8" },
    { "armv8l", "arm", "v8" },
    { "armv7l", "arm", "v7" },
    { "armv7", "arm", "v7" },
    { "armv6l", "arm", "v6" },
    { "armv5tel", "arm", "v5" },
    { "i386", "386", "" },
    { "i486", "386", "" },
    { "i586", "386", "" },
    { "i686", "386", "" },
    { "ppc64le", "ppc64le", "" },
    { "ppc64", "ppc64", "" },
    { "s390x", "s390x", "" },
    { "riscv64", "riscv64", "" },
    { "mips64", "mips64", "" },
    { "loongarch64", "loong64", "" },
  };
  const char *override = getenv (JR_EC_ARCH_ENV);
  struct utsname u;
  size_t i;

  if (override != NULL && *override != '\0')
    {
      const char *slash = strchr (override, '/');
      *arch = slash ? xstrndup (override, slash - override) : xstrdup (override);
      *variant = xstrdup (slash ? slash + 1 : "");
      return 0;
    }
  if (machine == NULL)
    {
      if (uname (&u) < 0)
        return jr_error (err, errno, "uname");
      machine = u.machine;
    }
  for (i = 0; i < sizeof (table) / sizeof (table[0]); i++)
    if (strcmp (machine, table[i].machine) == 0)
      {
        *arch = xstrdup (table[i].arch);
        *variant = xstrdup (table[i].variant);
        return 0;
      }
  /* Unknown CPUs still get a stable, distinct key. */
  *arch = xstrdup (machine);
  *variant = xstrdup ("");
  return 0;
}

/* os-release values are shell-like: bare, "double" (with \ escapes) or 'single'. */
static char *
os_release_value (const char *v, size_t n)
{
  char *out = xmalloc (n + 1), *o = out;
  size_t i = 0;
  char quote = 0;

  if (n > 0 && (v[0] == '"' || v[0] == '\''))
    quote = v[i++];
  for (; i < n; i++)
    {
      if (quote && v[i] == quote)
        break;
      if (quote == '"' && v[i] == '\\' && i + 1 < n)
        i++;
      *o++ = v[i];
    }
  *o = '\0';
  return out;
}

void
jr_ec_parse_os_release (const char *buf, size_t len, char **id, char **version_id)
{
  const char *p = buf, *end = buf + len;

  *id = NULL;
  *version_id = NULL;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p), *eol = nl ? nl : end, *eq;
      eq = memchr (p, '=', eol - p);
      if (eq != NULL)
        {
          size_t klen = eq - p;
          char **slot = NULL;
          if (klen == 2 && memcmp (p, "ID", 2) == 0)
            slot = id;
          else if (klen == 10 && memcmp (p, "VERSION_ID", 10) == 0)
            slot = version_id;
          if (slot != NULL)
            {
              free (*slot);
              *slot = os_release_value (eq + 1, eol - eq - 1);
            }
        }
      p = eol + 1;
    }
  if (*id == NULL)
    *id = xstrdup ("");
  if (*version_id == NULL)
    *version_id = xstrdup ("");
}

static int
read_os_release (int rootfd, char **id, char **version_id, jr_error_t *err)
{
  static const char *const paths[] = { "/etc/os-release", "/usr/lib/os-release" };
  size_t i;

  for (i = 0; i < 2; i++)
    {
      cleanup_close int fd = -1;
      cleanup_free char *buf = xmalloc (OS_RELEASE_MAX);
      struct stat st;
      ssize_t n;

      fd = jr_openat_in_root (rootfd, paths[i], O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, NULL);
      if (fd < 0)
        continue;
      /* a FIFO or device planted in the image must not block or feed us */
      if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
        continue;
      n = jr_read_all (fd, buf, OS_RELEASE_MAX);
      if (n < 0)
        return jr_error (err, errno, "read `%s` in the container rootfs", paths[i]);
      jr_ec_parse_os_release (buf, n, id, version_id);
      return 0;
    }
  *id = xstrdup ("");
  *version_id = xstrdup ("");
  return 0;
}

static int
digest_file_in_root (int rootfd, const char *path, char out[65], jr_error_t *err)
{
  cleanup_close int fd = -1;
  struct jr_ec_sha256 ctx;
  unsigned char md[32];
  char buf[65536];
  struct stat st;

  fd = jr_openat_in_root (rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, err);
  if (fd < 0)
    return jr_error_wrap (err, "manifest `%s`", path);
  if (fstat (fd, &st) < 0)
    return jr_error (err, errno, "manifest `%s`: fstat", path);
  if (!S_ISREG (st.st_mode))
    return jr_error (err, 0, "manifest `%s`: not a regular file", path);
  jr_ec_sha256_init (&ctx);
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return jr_error (err, errno, "manifest `%s`: read", path);
      if (n == 0)
        break;
      jr_ec_sha256_update (&ctx, buf, n);
    }
  jr_ec_sha256_final (&ctx, md);
  hex_encode (md, 32, out);
  return 0;
}

static const char *
env_lookup (const struct oci_process *process, const char *name)
{
  size_t i, n = strlen (name);

  if (process == NULL)
    return NULL;
  for (i = 0; i < process->env_len; i++)
    if (strncmp (process->env[i], name, n) == 0 && process->env[i][n] == '=')
      return process->env[i] + n + 1;
  return NULL;
}

/* Append "name=value\n"; values are length-prefixed so no value can forge
   another field. */
static void
text_add (char **text, size_t *len, const char *name, const char *value)
{
  char *line = xasprintf ("%s=%zu:%s\n", name, strlen (value), value);
  size_t n = strlen (line);

  *text = xrealloc (*text, *len + n + 1);
  memcpy (*text + *len, line, n + 1);
  *len += n;
  free (line);
}

int
jr_ec_key_compute (const struct jr_ec_config *cfg, const struct oci_spec *spec, int rootfd,
                   struct jr_ec_key *out, jr_error_t *err)
{
  const struct oci_process *process = spec ? spec->process : NULL;
  char hex[65];
  size_t len = 0;
  size_t i;

  memset (out, 0, sizeof (*out));
  if (cfg->compat_major)
    out->version_key = jr_ec_semver_compat (cfg->version);
  if (out->version_key == NULL)
    out->version_key = xstrdup (cfg->version);
  if (read_os_release (rootfd, &out->os_id, &out->os_version, err) < 0)
    goto fail;
  if (jr_ec_arch (NULL, &out->arch, &out->variant, err) < 0)
    goto fail;

  out->text = xstrdup ("");
  text_add (&out->text, &len, "format", "jitrun-extcache-key-v1");
  text_add (&out->text, &len, "app", cfg->app);
  /* exact "2" and major-of-"2.x.y" are different promises */
  text_add (&out->text, &len, "compat", cfg->compat_major ? "major" : "exact");
  text_add (&out->text, &len, "version", out->version_key);
  text_add (&out->text, &len, "os", out->os_id);
  text_add (&out->text, &len, "os.version", out->os_version);
  text_add (&out->text, &len, "architecture", out->arch);
  text_add (&out->text, &len, "variant", out->variant);
  {
    /* hash the parsed argv, not the annotation text: `["a", "b"]` and
       `["a","b"]` are the same command */
    cleanup_free char *argv_json = oci_json_string_array (cfg->bootstrap, cfg->bootstrap_len);
    if (argv_json == NULL)
      abort ();
    jr_ec_sha256_hex (argv_json, strlen (argv_json), hex);
    text_add (&out->text, &len, "bootstrap", hex);
  }
  for (i = 0; cfg->key_env[i]; i++)
    {
      const char *v = env_lookup (process, cfg->key_env[i]);
      cleanup_free char *name = xasprintf ("env.%s", cfg->key_env[i]);
      if (v == NULL)
        text_add (&out->text, &len, name, "(unset)");
      else
        {
          jr_ec_sha256_hex (v, strlen (v), hex);
          text_add (&out->text, &len, name, hex);
        }
    }
  for (i = 0; cfg->manifests[i]; i++)
    {
      const char *m = cfg->manifests[i];
      cleanup_free char *path = NULL;
      cleanup_free char *name = xasprintf ("manifest.%s", m);
      if (m[0] == '/')
        path = xstrdup (m);
      else
        path = xasprintf ("%s/%s", process && process->cwd ? process->cwd : "/", m);
      if (digest_file_in_root (rootfd, path, hex, err) < 0)
        goto fail;
      text_add (&out->text, &len, name, hex);
    }
  jr_ec_sha256_hex (out->text, len, out->key);
  return 0;

fail:
  jr_ec_key_free (out);
  return -1;
}

void
jr_ec_key_free (struct jr_ec_key *k)
{
  free (k->version_key);
  free (k->os_id);
  free (k->os_version);
  free (k->arch);
  free (k->variant);
  free (k->text);
  memset (k, 0, sizeof (*k));
}
