/* jitrun extension cache - registry credentials and challenges. */
#define _GNU_SOURCE
#include <config.h>
#include "registry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "libjitrun/utils.h"
#include "oci_spec.h"

void
jr_www_auth_free (struct jr_www_auth *a)
{
  free (a->scheme);
  free (a->realm);
  free (a->service);
  free (a->scope);
  memset (a, 0, sizeof (*a));
}

static const char *
skip_space (const char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  return s;
}

/* RFC 7235 challenge: `Scheme k1="v1", k2=token`.  Only the first
   challenge is read (registries send one). */
int
jr_registry_parse_www_auth (const char *header, struct jr_www_auth *out)
{
  const char *s = skip_space (header ? header : "");
  const char *start = s;

  memset (out, 0, sizeof (*out));
  while (*s && *s != ' ' && *s != '\t')
    s++;
  if (s == start)
    return -1;
  out->scheme = xstrndup (start, s - start);
  for (char *p = out->scheme; *p; p++)
    *p = tolower ((unsigned char)*p);

  for (;;)
    {
      cleanup_free char *key = NULL;
      char *val;
      size_t n = 0;

      s = skip_space (s);
      while (*s == ',')
        s = skip_space (s + 1);
      if (*s == '\0')
        break;
      start = s;
      while (*s && *s != '=' && *s != ' ' && *s != ',')
        s++;
      if (*s != '=' || s == start)
        goto bad;
      key = xstrndup (start, s - start);
      s++;
      val = xmalloc (strlen (s) + 1);
      if (*s == '"')
        {
          s++;
          while (*s && *s != '"')
            {
              if (*s == '\\' && s[1])
                s++;
              val[n++] = *s++;
            }
          if (*s != '"')
            {
              free (val);
              goto bad;
            }
          s++;
        }
      else
        while (*s && *s != ',' && *s != ' ')
          val[n++] = *s++;
      val[n] = '\0';
      for (char *p = key; *p; p++)
        *p = tolower ((unsigned char)*p);
      if (strcmp (key, "realm") == 0 && out->realm == NULL)
        out->realm = val;
      else if (strcmp (key, "service") == 0 && out->service == NULL)
        out->service = val;
      else if (strcmp (key, "scope") == 0 && out->scope == NULL)
        out->scope = val;
      else
        free (val);
    }
  return 0;

bad:
  jr_www_auth_free (out);
  return -1;
}

const char *
jr_registry_auth_file (void)
{
  const char *env = getenv (JR_REG_AUTH_ENV);

  return env && *env ? env : JR_REG_DEFAULT_AUTH;
}

/* "https://host:port/v1/" -> "host:port" */
static char *
auth_key_host (const char *key)
{
  const char *s = strstr (key, "://");
  const char *slash;

  s = s ? s + 3 : key;
  slash = strchr (s, '/');
  return slash ? xstrndup (s, slash - s) : xstrdup (s);
}

static const signed char b64_rev[256] = {
#define X -1
  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,  X,  63, 52, 53, 54, 55,
  56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,  X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
  13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  X,  X,  26, 27, 28, 29, 30, 31, 32,
  33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,
#undef X
};

static char *
base64_decode (const char *s, size_t *len)
{
  size_t n = strlen (s), o = 0;
  char *out = xmalloc (n / 4 * 3 + 4);
  unsigned v = 0;
  int bits = 0;

  for (; *s; s++)
    {
      int c;
      if (*s == '=')
        break;
      c = b64_rev[(unsigned char)*s];
      if (c < 0)
        {
          free (out);
          return NULL;
        }
      v = (v << 6) | c;
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          out[o++] = (v >> bits) & 0xff;
        }
    }
  out[o] = '\0';
  *len = o;
  return out;
}

char *
jr_base64 (const void *data, size_t len)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *p = data;
  char *out = xmalloc ((len + 2) / 3 * 4 + 1);
  size_t i, o = 0;

  for (i = 0; i + 2 < len; i += 3)
    {
      unsigned v = p[i] << 16 | p[i + 1] << 8 | p[i + 2];
      out[o++] = alphabet[v >> 18];
      out[o++] = alphabet[(v >> 12) & 63];
      out[o++] = alphabet[(v >> 6) & 63];
      out[o++] = alphabet[v & 63];
    }
  if (i < len)
    {
      unsigned v = p[i] << 16 | (i + 1 < len ? p[i + 1] << 8 : 0);
      out[o++] = alphabet[v >> 18];
      out[o++] = alphabet[(v >> 12) & 63];
      out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
      out[o++] = '=';
    }
  out[o] = '\0';
  return out;
}

static int
decode_entry (const struct oci_jvalue *entry, const char *key, char **user, char **pass, jr_error_t *err)
{
  const char *auth = oci_jvalue_str (oci_jobject_get (entry, "auth"));
  const char *u = oci_jvalue_str (oci_jobject_get (entry, "username"));
  const char *p = oci_jvalue_str (oci_jobject_get (entry, "password"));
  cleanup_free char *plain = NULL;
  size_t len = 0;
  char *colon;

  if (auth && *auth)
    {
      plain = base64_decode (auth, &len);
      if (plain == NULL || memchr (plain, '\0', len) != NULL || (colon = strchr (plain, ':')) == NULL)
        return jr_error (err, 0, "auth.json: entry `%s`: `auth` is not base64 of user:password", key);
      *user = xstrndup (plain, colon - plain);
      *pass = xstrdup (colon + 1);
      return 1;
    }
  if (u && p)
    {
      *user = xstrdup (u);
      *pass = xstrdup (p);
      return 1;
    }
  return 0;
}

int
jr_registry_auth_lookup (const char *json, size_t len, const char *host, char **user, char **pass,
                         jr_error_t *err)
{
  cleanup_free char *perr = NULL;
  struct oci_jvalue *doc = oci_jvalue_parse (json, len, &perr);
  const struct oci_jvalue *auths;
  const struct oci_jvalue *entry;
  int ret = 0;
  size_t i;

  *user = *pass = NULL;
  if (doc == NULL)
    return jr_error (err, 0, "auth.json is not valid JSON: %s", perr ? perr : "?");
  auths = oci_jobject_get (doc, "auths");
  if (auths == NULL)
    goto out;
  entry = oci_jobject_get (auths, host);
  if (entry)
    {
      ret = decode_entry (entry, host, user, pass, err);
      goto out;
    }
  for (i = 0; i < oci_jobject_len (auths); i++)
    {
      const char *k = oci_jobject_key_at (auths, i);
      cleanup_free char *h = auth_key_host (k);
      if (strcmp (h, host) == 0)
        {
          ret = decode_entry (oci_jobject_value_at (auths, i), k, user, pass, err);
          break;
        }
    }

out:
  oci_jvalue_free (doc);
  return ret;
}

static bool
list_has (const char *list, const char *host)
{
  cleanup_strv char **v = NULL;
  size_t i;

  if (list == NULL || *list == '\0')
    return false;
  v = jr_split (list, ',');
  for (i = 0; v[i]; i++)
    {
      char *s = v[i];
      size_t n;
      while (*s == ' ')
        s++;
      n = strlen (s);
      while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
      if (*s && strcmp (s, host) == 0)
        return true;
    }
  return false;
}

bool
jr_registry_is_insecure (const char *host, const char *cli_list)
{
  return list_has (cli_list, host) || list_has (getenv (JR_REG_INSECURE_ENV), host);
}
