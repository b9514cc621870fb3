/* jitrun extension cache - a small OCI distribution client. */
#define _GNU_SOURCE
#include <config.h>
#include "registry.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* calls go through dlsym'ed pointers: no macro wrappers */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "key.h"
#include "libjitrun/log.h"
#include "libjitrun/utils.h"

/* ---- references --------------------------------------------------------- */

bool
jr_registry_tag_valid (const char *tag)
{
  size_t n = 0;

  if (tag == NULL || !(isalnum ((unsigned char)tag[0]) || tag[0] == '_'))
    return false;
  for (; tag[n]; n++)
    if (!(isalnum ((unsigned char)tag[n]) || tag[n] == '_' || tag[n] == '.' || tag[n] == '-'))
      return false;
  return n <= 128;
}

bool
jr_registry_digest_valid (const char *digest)
{
  size_t i;

  if (digest == NULL || strncmp (digest, "sha256:", 7) != 0 || strlen (digest) != 71)
    return false;
  for (i = 7; i < 71; i++)
    if (!isdigit ((unsigned char)digest[i]) && !(digest[i] >= 'a' && digest[i] <= 'f'))
      return false;
  return true;
}

/* path component: [a-z0-9]+ separated by single ., _, __ or runs of - */
static bool
repo_component_valid (const char *s, size_t n)
{
  size_t i;

  if (n == 0 || !isalnum ((unsigned char)s[0]) || !isalnum ((unsigned char)s[n - 1]))
    return false;
  for (i = 0; i < n; i++)
    {
      char c = s[i];
      if ((c >= 'a' && c <= 'z') || isdigit ((unsigned char)c))
        continue;
      if (c != '.' && c != '_' && c != '-')
        return false;
      if (c == '.' && s[i + 1] == '.')
        return false;
    }
  return true;
}

static bool
host_valid (const char *h)
{
  const char *colon = strrchr (h, ':');
  size_t i, n = colon ? (size_t)(colon - h) : strlen (h);

  if (n == 0)
    return false;
  for (i = 0; i < n; i++)
    if (!isalnum ((unsigned char)h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '[' && h[i] != ']'
        && h[i] != ':')
      return false;
  if (colon && h[n] == ':')
    {
      int64_t port;
      if (jr_parse_int64 (colon + 1, &port) < 0 || port < 1 || port > 65535)
        return false;
    }
  return true;
}

void
jr_registry_ref_free (struct jr_registry_ref *ref)
{
  free (ref->host);
  free (ref->repo);
  free (ref->tag);
  free (ref->digest);
  memset (ref, 0, sizeof (*ref));
}

int
jr_registry_ref_parse (const char *s, struct jr_registry_ref *ref, jr_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *slash, *at, *colon, *repo, *p;

  memset (ref, 0, sizeof (*ref));
  if (s == NULL || *s == '\0')
    return jr_error (err, 0, "empty registry reference");
  if (strstr (s, "://"))
    return jr_error (err, 0, "registry reference `%s`: no scheme allowed (host[:port]/repository[:tag])", s);
  copy = xstrdup (s);
  slash = strchr (copy, '/');
  if (slash == NULL)
    return jr_error (err, 0, "registry reference `%s`: expected host[:port]/repository[:tag]", s);
  *slash = '\0';
  repo = slash + 1;
  if (!host_valid (copy))
    return jr_error (err, 0, "registry reference `%s`: invalid host `%s`", s, copy);
  at = strchr (repo, '@');
  if (at)
    {
      *at = '\0';
      if (!jr_registry_digest_valid (at + 1))
        return jr_error (err, 0, "registry reference `%s`: invalid digest `%s`", s, at + 1);
    }
  colon = strrchr (repo, ':');
  if (colon)
    {
      *colon = '\0';
      if (!jr_registry_tag_valid (colon + 1))
        return jr_error (err, 0, "registry reference `%s`: invalid tag `%s`", s, colon + 1);
    }
  for (p = repo;;)
    {
      char *end = strchrnul (p, '/');
      if (!repo_component_valid (p, end - p))
        return jr_error (err, 0, "registry reference `%s`: invalid repository `%s`", s, repo);
      if (*end == '\0')
        break;
      p = end + 1;
    }
  if (strlen (repo) > 255)
    return jr_error (err, 0, "registry reference `%s`: repository name too long", s);
  ref->host = xstrdup (copy);
  ref->repo = xstrdup (repo);
  ref->tag = colon ? xstrdup (colon + 1) : NULL;
  ref->digest = at ? xstrdup (at + 1) : NULL;
  return 0;
}

/* ---- libcurl, loaded on first use --------------------------------------- */

#define CURL_FUNCS(X)                                                                                        \
  X (curl_global_init)                                                                                       \
  X (curl_easy_init)                                                                                         \
  X (curl_easy_setopt)                                                                                       \
  X (curl_easy_perform)                                                                                      \
  X (curl_easy_getinfo)                                                                                      \
  X (curl_easy_cleanup)                                                                                      \
  X (curl_easy_strerror)                                                                                     \
  X (curl_slist_append)                                                                                      \
  X (curl_slist_free_all)

#define DECLARE_FN(f) typeof (f) *f;
static struct
{
  CURL_FUNCS (DECLARE_FN)
} C;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char *curl_error;

static void
curl_load_once (void)
{
  void *h = dlopen ("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

  if (h == NULL)
    h = dlopen ("libcurl.so", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    {
      curl_error = xasprintf ("cannot load libcurl: %s", dlerror ());
      return;
    }
#define LOAD_FN(f)                                                                                           \
  if ((C.f = dlsym (h, #f)) == NULL)                                                                         \
    {                                                                                                        \
      curl_error = xasprintf ("libcurl lacks `%s`", #f);                                                     \
      return;                                                                                                \
    }
  CURL_FUNCS (LOAD_FN)
  if (C.curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    curl_error = xstrdup ("curl_global_init failed");
}

static int
curl_load (jr_error_t *err)
{
  pthread_once (&curl_once, curl_load_once);
  if (curl_error)
    return jr_error (err, 0, "registry support unavailable: %s", curl_error);
  return 0;
}

/* ---- the client --------------------------------------------------------- */

struct jr_registry
{
  CURL *curl;
  char *host;
  char *repo;
  char *base; /* scheme://host */
  bool insecure;
  bool push;
  char *authz;       /* Authorization header value once authenticated */
  char *auth_source; /* where credentials came from, for messages */
  int64_t timeout;
  struct jr_registry_stats stats;
};

#define MAX_SMALL_BODY (4 << 20)

struct req
{
  const char *method;
  const char *url;
  const char *accept;
  const char *content_type;
  const char *body; /* in memory */
  size_t body_len;
  int body_fd; /* or from a file (body_fd >= 0) */
  int64_t body_fd_len;
  int out_fd; /* response body to a file (out_fd >= 0) */
  int64_t out_max;
  struct jr_ec_sha256 *out_md; /* hash of the response body, or NULL */
  bool short_timeout;
};

struct resp
{
  long status;
  char *location;
  char *www_auth;
  char *content_type;
  char *body;
  size_t body_len;
  int64_t out_bytes;
  bool too_big;
  int io_errno;
  off_t in_off;
  const struct req *req;
};

static void
resp_clear (struct resp *r)
{
  free (r->location);
  free (r->www_auth);
  free (r->content_type);
  free (r->body);
  memset (r, 0, sizeof (*r));
}

static size_t
header_cb (char *buf, size_t size, size_t n, void *data)
{
  struct resp *r = data;
  size_t len = size * n, klen;
  const char *colon = memchr (buf, ':', len);
  char **slot = NULL;
  const char *v, *end = buf + len;

  /* a new response (redirect, 100-continue): forget the previous one's */
  if (len > 5 && strncmp (buf, "HTTP/", 5) == 0)
    {
      free (r->location);
      free (r->www_auth);
      free (r->content_type);
      r->location = r->www_auth = r->content_type = NULL;
      return len;
    }
  if (colon == NULL)
    return len;
  klen = colon - buf;
  if (klen == 8 && strncasecmp (buf, "location", 8) == 0)
    slot = &r->location;
  else if (klen == 16 && strncasecmp (buf, "www-authenticate", 16) == 0)
    slot = &r->www_auth;
  else if (klen == 12 && strncasecmp (buf, "content-type", 12) == 0)
    slot = &r->content_type;
  if (slot == NULL || *slot != NULL)
    return len;
  v = colon + 1;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  *slot = xstrndup (v, end - v);
  return len;
}

static size_t
write_cb (char *buf, size_t size, size_t n, void *data)
{
  struct resp *r = data;
  size_t len = size * n;

  if (r->req->out_fd >= 0)
    {
      if (r->out_bytes + (int64_t)len > r->req->out_max)
        {
          r->too_big = true;
          return 0;
        }
      if (jr_write_all (r->req->out_fd, buf, len) < 0)
        {
          r->io_errno = errno;
          return 0;
        }
      if (r->req->out_md)
        jr_ec_sha256_update (r->req->out_md, buf, len);
      r->out_bytes += len;
      return len;
    }
  if (r->body_len + len > MAX_SMALL_BODY)
    {
      r->too_big = true;
      return 0;
    }
  r->body = xrealloc (r->body, r->body_len + len + 1);
  memcpy (r->body + r->body_len, buf, len);
  r->body_len += len;
  r->body[r->body_len] = '\0';
  return len;
}

static size_t
read_cb (char *buf, size_t size, size_t n, void *data)
{
  struct resp *r = data;
  size_t want = size * n;
  int64_t left = r->req->body_fd_len - r->in_off;
  ssize_t got;

  if (left <= 0)
    return 0;
  if ((int64_t)want > left)
    want = left;
  do
    got = pread (r->req->body_fd, buf, want, r->in_off);
  while (got < 0 && errno == EINTR);
  if (got <= 0)
    {
      r->io_errno = got < 0 ? errno : EIO;
      return CURL_READFUNC_ABORT;
    }
  r->in_off += got;
  return got;
}

static int
perform (struct jr_registry *reg, const struct req *q, struct resp *r, jr_error_t *err)
{
  struct curl_slist *hdrs = NULL;
  cleanup_free char *authz = NULL;
  cleanup_free char *accept = NULL;
  cleanup_free char *ctype = NULL;
  CURL *c = reg->curl;
  CURLcode rc;

  memset (r, 0, sizeof (*r));
  r->req = q;
  C.curl_easy_setopt (c, CURLOPT_URL, q->url);
  C.curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  C.curl_easy_setopt (c, CURLOPT_USERAGENT, "jitrun/" PACKAGE_VERSION);
  C.curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, 5L);
  C.curl_easy_setopt (c, CURLOPT_TIMEOUT, (long)(q->short_timeout && reg->timeout > 30 ? 30 : reg->timeout));
  C.curl_easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  C.curl_easy_setopt (c, CURLOPT_LOW_SPEED_TIME, 30L);
  C.curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, reg->insecure ? "http,https" : "https");
  C.curl_easy_setopt (c, CURLOPT_REDIR_PROTOCOLS_STR, reg->insecure ? "http,https" : "https");
  /* blobs may redirect to storage; a custom Authorization header is not
     sent to another host by libcurl */
  C.curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, q->out_fd >= 0 ? 1L : 0L);
  C.curl_easy_setopt (c, CURLOPT_MAXREDIRS, 5L);
  C.curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, header_cb);
  C.curl_easy_setopt (c, CURLOPT_HEADERDATA, r);
  C.curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, write_cb);
  C.curl_easy_setopt (c, CURLOPT_WRITEDATA, r);
  C.curl_easy_setopt (c, CURLOPT_NOBODY, strcmp (q->method, "HEAD") == 0 ? 1L : 0L);
  C.curl_easy_setopt (c, CURLOPT_UPLOAD, 0L);
  C.curl_easy_setopt (c, CURLOPT_POST, 0L);
  C.curl_easy_setopt (c, CURLOPT_HTTPGET, 0L);
  C.curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, NULL);
  if (strcmp (q->method, "GET") == 0)
    C.curl_easy_setopt (c, CURLOPT_HTTPGET, 1L);
  else if (strcmp (q->method, "PUT") == 0 && q->body_fd >= 0)
    {
      C.curl_easy_setopt (c, CURLOPT_UPLOAD, 1L);
      C.curl_easy_setopt (c, CURLOPT_READFUNCTION, read_cb);
      C.curl_easy_setopt (c, CURLOPT_READDATA, r);
      C.curl_easy_setopt (c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_fd_len);
    }
  else if (strcmp (q->method, "HEAD") != 0)
    {
      C.curl_easy_setopt (c, CURLOPT_POST, 1L);
      C.curl_easy_setopt (c, CURLOPT_POSTFIELDS, q->body ? q->body : "");
      C.curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
      if (strcmp (q->method, "POST") != 0)
        C.curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, q->method);
    }
  if (reg->authz)
    {
      authz = xasprintf ("Authorization: %s", reg->authz);
      hdrs = C.curl_slist_append (hdrs, authz);
    }
  if (q->accept)
    {
      accept = xasprintf ("Accept: %s", q->accept);
      hdrs = C.curl_slist_append (hdrs, accept);
    }
  ctype = xasprintf ("Content-Type: %s", q->content_type ? q->content_type : "application/octet-stream");
  if (strcmp (q->method, "HEAD") != 0 && strcmp (q->method, "GET") != 0)
    hdrs = C.curl_slist_append (hdrs, ctype);
  hdrs = C.curl_slist_append (hdrs, "Expect:");
  C.curl_easy_setopt (c, CURLOPT_HTTPHEADER, hdrs);

  rc = C.curl_easy_perform (c);
  C.curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &r->status);
  C.curl_easy_setopt (c, CURLOPT_HTTPHEADER, NULL);
  C.curl_slist_free_all (hdrs);
  if (rc != CURLE_OK)
    {
      if (r->too_big)
        return jr_error (err, 0, "registry `%s`: %s %s: response larger than %lld bytes", reg->host,
                         q->method, q->url, (long long)(q->out_fd >= 0 ? q->out_max : MAX_SMALL_BODY));
      if (r->io_errno)
        return jr_error (err, r->io_errno, "registry `%s`: %s %s", reg->host, q->method, q->url);
      return jr_error (err, 0, "registry `%s`: %s %s: %s", reg->host, q->method, q->url,
                       C.curl_easy_strerror (rc));
    }
  return 0;
}

static char *
url_escape (const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  char *out = xmalloc (strlen (s) * 3 + 1), *o = out;

  for (; *s; s++)
    {
      unsigned char c = *s;
      if (isalnum (c) || c == '-' || c == '_' || c == '.' || c == '~')
        *o++ = c;
      else
        {
          *o++ = '%';
          *o++ = hex[c >> 4];
          *o++ = hex[c & 15];
        }
    }
  *o = '\0';
  return out;
}

/* A short reason from a registry error body ({"errors":[{"code","message"}]}). */
static char *
error_detail (const struct resp *r)
{
  cleanup_free char *perr = NULL;
  struct oci_jvalue *doc;
  const struct oci_jvalue *e0;
  char *out = NULL;

  if (r->body == NULL || r->body_len == 0)
    return xstrdup ("");
  doc = oci_jvalue_parse (r->body, r->body_len, &perr);
  if (doc)
    {
      e0 = oci_jarray_get (oci_jobject_get (doc, "errors"), 0);
      if (e0)
        out = xasprintf (": %s: %s", oci_jvalue_str (oci_jobject_get (e0, "code")) ?: "?",
                         oci_jvalue_str (oci_jobject_get (e0, "message")) ?: "");
      oci_jvalue_free (doc);
    }
  return out ? out : xasprintf (": %.200s", r->body);
}

static int
http_fail (struct jr_registry *reg, const struct req *q, const struct resp *r, jr_error_t *err)
{
  cleanup_free char *detail = error_detail (r);

  if (r->status == 401 || r->status == 403)
    return jr_error (err, 0, "registry `%s`: %s %s: HTTP %ld (authentication %s%s)%s", reg->host, q->method,
                     q->url, r->status,
                     reg->authz ? "failed with credentials from " : "required: no credentials for it in ",
                     reg->auth_source ? reg->auth_source : jr_registry_auth_file (), detail);
  return jr_error (err, 0, "registry `%s`: %s %s: HTTP %ld%s", reg->host, q->method, q->url, r->status,
                   detail);
}

static int
load_credentials (struct jr_registry *reg, char **user, char **pass, jr_error_t *err)
{
  const char *path = jr_registry_auth_file ();
  cleanup_free char *json = NULL;
  size_t len = 0;
  int r;

  free (reg->auth_source);
  reg->auth_source = xstrdup (path);
  if (jr_read_file_at (AT_FDCWD, path, &json, &len, err) < 0)
    {
      if (err && *err && (*err)->errno_value == ENOENT)
        {
          jr_error_free (err);
          return 0;
        }
      return -1;
    }
  r = jr_registry_auth_lookup (json, len, reg->host, user, pass, err);
  if (r < 0)
    return jr_error_wrap (err, "credentials file `%s`", path);
  return r;
}

/* Answer a 401 challenge: basic credentials, or a bearer token fetched
   from the realm (with basic credentials when we have some). */
static int
authenticate (struct jr_registry *reg, const char *challenge, jr_error_t *err)
{
  struct jr_www_auth wa;
  cleanup_free char *user = NULL;
  cleanup_free char *pass = NULL;
  cleanup_free char *basic = NULL;
  int have, ret = -1;

  if (jr_registry_parse_www_auth (challenge, &wa) < 0)
    return jr_error (err, 0, "registry `%s`: malformed WWW-Authenticate `%s`", reg->host, challenge ?: "");
  have = load_credentials (reg, &user, &pass, err);
  if (have < 0)
    goto out;
  if (have)
    {
      cleanup_free char *up = xasprintf ("%s:%s", user, pass);
      basic = jr_base64 (up, strlen (up));
    }
  if (strcmp (wa.scheme, "basic") == 0)
    {
      if (!have)
        {
          jr_error (err, 0, "registry `%s` requires authentication: no credentials for it in `%s`", reg->host,
                    reg->auth_source);
          goto out;
        }
      free (reg->authz);
      reg->authz = xasprintf ("Basic %s", basic);
      ret = 0;
    }
  else if (strcmp (wa.scheme, "bearer") == 0)
    {
      cleanup_free char *scope
          = wa.scope ? xstrdup (wa.scope)
                     : xasprintf ("repository:%s:%s", reg->repo, reg->push ? "pull,push" : "pull");
      cleanup_free char *escope = url_escape (scope);
      cleanup_free char *eservice = url_escape (wa.service ? wa.service : "");
      cleanup_free char *url = NULL;
      cleanup_free char *perr = NULL;
      cleanup_free char *saved = reg->authz;
      struct req q = { .method = "GET", .body_fd = -1, .out_fd = -1, .short_timeout = true };
      struct resp r;
      struct oci_jvalue *doc;
      const char *tok;

      if (wa.realm == NULL
          || !(jr_has_prefix (wa.realm, "https://")
               || (reg->insecure && jr_has_prefix (wa.realm, "http://"))))
        {
          jr_error (err, 0, "registry `%s`: token realm `%s` is not an https URL", reg->host, wa.realm ?: "");
          goto out;
        }
      url = xasprintf ("%s%s%sservice=%s&scope=%s", wa.realm, strchr (wa.realm, '?') ? "&" : "?", "",
                       eservice, escope);
      q.url = url;
      reg->authz = basic ? xasprintf ("Basic %s", basic) : NULL;
      ret = perform (reg, &q, &r, err);
      free (reg->authz);
      reg->authz = NULL;
      if (ret < 0)
        goto out;
      ret = -1;
      if (r.status != 200)
        {
          cleanup_free char *detail = error_detail (&r);
          jr_error (err, 0, "registry `%s`: token request to `%s` failed: HTTP %ld%s%s", reg->host, wa.realm,
                    r.status, have ? "" : " (no credentials in the auth file)", detail);
          resp_clear (&r);
          goto out;
        }
      doc = oci_jvalue_parse (r.body ? r.body : "", r.body_len, &perr);
      tok = doc ? oci_jvalue_str (oci_jobject_get (doc, "token")) : NULL;
      if (tok == NULL && doc)
        tok = oci_jvalue_str (oci_jobject_get (doc, "access_token"));
      if (tok == NULL || *tok == '\0')
        jr_error (err, 0, "registry `%s`: token response from `%s` has no token", reg->host, wa.realm);
      else
        {
          reg->authz = xasprintf ("Bearer %s", tok);
          ret = 0;
        }
      oci_jvalue_free (doc);
      resp_clear (&r);
    }
  else
    jr_error (err, 0, "registry `%s`: unsupported authentication scheme `%s`", reg->host, wa.scheme);

out:
  jr_www_auth_free (&wa);
  return ret;
}

/* perform, answering one authentication challenge */
static int
request (struct jr_registry *reg, const struct req *q, struct resp *r, jr_error_t *err)
{
  if (perform (reg, q, r, err) < 0)
    return -1;
  if (r->status == 401 && r->www_auth)
    {
      cleanup_free char *challenge = jr_steal_ptr (r->www_auth);
      bool had_authz = reg->authz != NULL;
      resp_clear (r);
      /* a bearer token expired: fetch a new one; credentials that were
         refused are not retried */
      if (had_authz && jr_has_prefix (reg->authz, "Basic "))
        {
          r->status = 401;
          return 0;
        }
      if (authenticate (reg, challenge, err) < 0)
        return -1;
      if (q->out_fd >= 0 && (ftruncate (q->out_fd, 0) < 0 || lseek (q->out_fd, 0, SEEK_SET) < 0))
        return jr_error (err, errno, "reset download file");
      if (q->out_md)
        jr_ec_sha256_init (q->out_md);
      return perform (reg, q, r, err);
    }
  return 0;
}

int
jr_registry_open (const struct jr_registry_ref *ref, const char *cli_insecure, bool push,
                  struct jr_registry **out, jr_error_t *err)
{
  struct jr_registry *reg;
  const char *t = getenv (JR_REG_TIMEOUT_ENV);
  int64_t timeout = 300;

  if (curl_load (err) < 0)
    return -1;
  if (t && *t && jr_parse_duration (t, &timeout, err) < 0)
    return jr_error_wrap (err, "$%s", JR_REG_TIMEOUT_ENV);
  reg = xmalloc0 (sizeof (*reg));
  reg->curl = C.curl_easy_init ();
  if (reg->curl == NULL)
    {
      free (reg);
      return jr_error (err, 0, "curl_easy_init failed");
    }
  reg->host = xstrdup (ref->host);
  reg->repo = xstrdup (ref->repo);
  reg->insecure = jr_registry_is_insecure (ref->host, cli_insecure);
  reg->base = xasprintf ("%s://%s", reg->insecure ? "http" : "https", ref->host);
  reg->push = push;
  reg->timeout = timeout > 0 ? timeout : 300;
  *out = reg;
  return 0;
}

void
jr_registry_close (struct jr_registry *r)
{
  if (r == NULL)
    return;
  if (r->curl)
    C.curl_easy_cleanup (r->curl);
  free (r->host);
  free (r->repo);
  free (r->base);
  free (r->authz);
  free (r->auth_source);
  free (r);
}

const struct jr_registry_stats *
jr_registry_stats (const struct jr_registry *r)
{
  return &r->stats;
}

int
jr_registry_blob_exists (struct jr_registry *reg, const char *digest, bool *exists, jr_error_t *err)
{
  cleanup_free char *url = xasprintf ("%s/v2/%s/blobs/%s", reg->base, reg->repo, digest);
  struct req q = { .method = "HEAD", .url = url, .body_fd = -1, .out_fd = -1, .short_timeout = true };
  struct resp r;
  int ret = 0;

  if (!jr_registry_digest_valid (digest))
    return jr_error (err, 0, "invalid digest `%s`", digest);
  if (request (reg, &q, &r, err) < 0)
    return -1;
  if (r.status == 200)
    *exists = true;
  else if (r.status == 404)
    *exists = false;
  else
    ret = http_fail (reg, &q, &r, err);
  resp_clear (&r);
  return ret;
}

/* Location of an upload session: absolute, or relative to the registry. */
static char *
resolve_location (struct jr_registry *reg, const char *loc)
{
  if (jr_has_prefix (loc, "http://") || jr_has_prefix (loc, "https://"))
    return xstrdup (loc);
  return xasprintf ("%s%s%s", reg->base, loc[0] == '/' ? "" : "/", loc);
}

int
jr_registry_blob_push (struct jr_registry *reg, const char *digest, int fd, int64_t size, jr_error_t *err)
{
  cleanup_free char *url = xasprintf ("%s/v2/%s/blobs/uploads/", reg->base, reg->repo);
  cleanup_free char *put_url = NULL;
  struct req q = { .method = "POST", .url = url, .body_fd = -1, .out_fd = -1, .short_timeout = true };
  struct resp r;
  bool exists = false;

  if (jr_registry_blob_exists (reg, digest, &exists, err) < 0)
    return -1;
  if (exists)
    {
      reg->stats.blobs_skipped++;
      return 0;
    }
  if (request (reg, &q, &r, err) < 0)
    return -1;
  if (r.status != 202 || r.location == NULL)
    {
      int ret = r.status == 202
                    ? jr_error (err, 0, "registry `%s`: upload session without a Location", reg->host)
                    : http_fail (reg, &q, &r, err);
      resp_clear (&r);
      return ret;
    }
  {
    cleanup_free char *loc = resolve_location (reg, r.location);
    put_url = xasprintf ("%s%sdigest=%s", loc, strchr (loc, '?') ? "&" : "?", digest);
  }
  resp_clear (&r);

  /* monolithic: one PUT with the whole blob */
  q = (struct req){ .method = "PUT", .url = put_url, .body_fd = fd, .body_fd_len = size, .out_fd = -1 };
  if (request (reg, &q, &r, err) < 0)
    return -1;
  if (r.status != 201)
    {
      int ret = http_fail (reg, &q, &r, err);
      resp_clear (&r);
      return ret;
    }
  resp_clear (&r);
  reg->stats.blobs_uploaded++;
  reg->stats.bytes_uploaded += size;
  return 0;
}

int
jr_registry_blob_fetch (struct jr_registry *reg, const char *digest, int64_t max_size, int fd,
                        jr_error_t *err)
{
  cleanup_free char *url = xasprintf ("%s/v2/%s/blobs/%s", reg->base, reg->repo, digest);
  struct req q = { .method = "GET", .url = url, .body_fd = -1, .out_fd = fd, .out_max = max_size };
  char got[72];
  struct resp r;
  struct jr_ec_sha256 md_ctx;
  unsigned char md[32];
  unsigned int i;
  int ret = 0;

  if (!jr_registry_digest_valid (digest))
    return jr_error (err, 0, "invalid blob digest `%s`", digest);
  jr_ec_sha256_init (&md_ctx);
  q.out_md = &md_ctx;
  if (request (reg, &q, &r, err) < 0)
    return -1;
  if (r.status != 200)
    {
      ret = jr_error (err, 0, "registry `%s`: GET blob %s: HTTP %ld", reg->host, digest, r.status);
      goto out;
    }
  jr_ec_sha256_final (q.out_md, md);
  memcpy (got, "sha256:", 7);
  for (i = 0; i < 32; i++)
    sprintf (got + 7 + 2 * i, "%02x", md[i]);
  if (strcmp (got, digest) != 0)
    {
      ret = jr_error (err, 0, "registry `%s`: blob digest mismatch: expected %s, got %s", reg->host, digest,
                      got);
      goto out;
    }
  reg->stats.bytes_downloaded += r.out_bytes;

out:
  resp_clear (&r);
  return ret;
}

int
jr_registry_manifest_put (struct jr_registry *reg, const char *tag, const char *body, size_t len,
                          jr_error_t *err)
{
  cleanup_free char *url = xasprintf ("%s/v2/%s/manifests/%s", reg->base, reg->repo, tag);
  struct req q = { .method = "PUT",
                   .url = url,
                   .content_type = JR_REG_MT_MANIFEST,
                   .body = body,
                   .body_len = len,
                   .body_fd = -1,
                   .out_fd = -1,
                   .short_timeout = true };
  struct resp r;
  int ret = 0;

  if (!jr_registry_tag_valid (tag))
    return jr_error (err, 0, "invalid tag `%s`", tag);
  if (request (reg, &q, &r, err) < 0)
    return -1;
  if (r.status != 201 && r.status != 200)
    ret = http_fail (reg, &q, &r, err);
  resp_clear (&r);
  return ret;
}

int
jr_registry_manifest_get (struct jr_registry *reg, const char *ref, char **body, size_t *len, jr_error_t *err)
{
  cleanup_free char *url = xasprintf ("%s/v2/%s/manifests/%s", reg->base, reg->repo, ref);
  struct req q = { .method = "GET",
                   .url = url,
                   .accept = JR_REG_MT_MANIFEST ", application/vnd.docker.distribution.manifest.v2+json",
                   .body_fd = -1,
                   .out_fd = -1,
                   .short_timeout = true };
  struct resp r;
  int ret = 0;

  *body = NULL;
  *len = 0;
  if (!jr_registry_tag_valid (ref) && !jr_registry_digest_valid (ref))
    return jr_error (err, 0, "invalid manifest reference `%s`", ref);
  if (request (reg, &q, &r, err) < 0)
    return -1;
  if (r.status == 200)
    {
      *body = r.body ? jr_steal_ptr (r.body) : xstrdup ("");
      *len = r.body_len;
    }
  else if (r.status != 404)
    ret = http_fail (reg, &q, &r, err);
  resp_clear (&r);
  return ret;
}
