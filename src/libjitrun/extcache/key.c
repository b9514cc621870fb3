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

/* A real one is under 1 KiB.  Small stack buffers on the hit path: a
   stack page touched for the first time costs a page fault (~30 us on a
   VM whose page tables the hypervisor maintains). */
#define OS_RELEASE_MAX 4096
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

/* ---- SHA-256 ------------------------------------------------------------ */

/* OpenSSL's low-level SHA-256: the EVP interface would fetch a provider on
   first use (2-13 ms measured here, more than a whole cache hit may cost)
   and, linked statically, pull megabytes of provider code into the binary.
   These functions are deprecated in OpenSSL 3 but remain its fastest path. */
void
jr_ec_sha256_init (struct jr_ec_sha256 *c)
{
  SHA256_Init (&c->ctx);
}

void
jr_ec_sha256_update (struct jr_ec_sha256 *c, const void *data, size_t len)
{
  SHA256_Update (&c->ctx, data, len);
}

void
jr_ec_sha256_final (struct jr_ec_sha256 *c, unsigned char md[32])
{
  SHA256_Final (md, &c->ctx);
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
      char buf[OS_RELEASE_MAX];
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
  cleanup_free char *big = NULL;
  struct jr_ec_sha256 ctx;
  unsigned char md[32];
  char small[4096];
  char *buf = small;
  size_t size = sizeof (small);
  struct stat st;

  fd = jr_openat_in_root (rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0, err);
  if (fd < 0)
    return jr_error_wrap (err, "manifest `%s`", path);
  if (fstat (fd, &st) < 0)
    return jr_error (err, errno, "manifest `%s`: fstat", path);
  if (!S_ISREG (st.st_mode))
    return jr_error (err, 0, "manifest `%s`: not a regular file", path);
  /* a lockfile of many KiB: fewer reads with a bigger buffer */
  if (st.st_size > (off_t)sizeof (small))
    {
      size = 128 * 1024;
      buf = big = xmalloc (size);
    }
  jr_ec_sha256_init (&ctx);
  for (;;)
    {
      ssize_t n = read (fd, buf, size);
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
