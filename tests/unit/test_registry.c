/* Unit tests: registry references, WWW-Authenticate, auth.json, insecure
   registries, and the layer tar conversion (round trip, determinism,
   refusal of malicious tars). */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>

#include "libjitrun/extcache/layer_tar.h"
#include "libjitrun/extcache/registry.h"
#include "libjitrun/utils.h"

/* ---- references ---- */

static void
test_ref_parse (void **state)
{
  struct jr_registry_ref r;
  jr_error_t err = NULL;

  (void)state;
  assert_int_equal (jr_registry_ref_parse ("127.0.0.1:5000/jitrun/cache", &r, &err), 0);
  assert_string_equal (r.host, "127.0.0.1:5000");
  assert_string_equal (r.repo, "jitrun/cache");
  assert_null (r.tag);
  assert_null (r.digest);
  jr_registry_ref_free (&r);

  assert_int_equal (jr_registry_ref_parse ("reg.example.com/a/b-c/d_e:v1.2-x", &r, &err), 0);
  assert_string_equal (r.host, "reg.example.com");
  assert_string_equal (r.repo, "a/b-c/d_e");
  assert_string_equal (r.tag, "v1.2-x");
  jr_registry_ref_free (&r);

  assert_int_equal (jr_registry_ref_parse ("localhost:443/x@sha256:"
                                           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                           &r, &err),
                    0);
  assert_string_equal (r.repo, "x");
  assert_non_null (r.digest);
  jr_registry_ref_free (&r);

  static const char *const bad[] = {
    "",
    "noslash",
    "https://host/repo",
    "host/Upper",
    "host/repo:bad/tag",
    "host/repo:-dash",
    "host/a//b",
    "host:99999/repo",
    "host/repo@sha256:short",
    "host/../x",
    "host/repo:"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789",
  };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      if (jr_registry_ref_parse (bad[i], &r, &err) == 0)
        fail_msg ("accepted `%s`", bad[i]);
      assert_non_null (err);
      jr_error_free (&err);
    }
}

static void
test_tag_digest_valid (void **state)
{
  (void)state;
  assert_true (jr_registry_tag_valid ("0123abcd"));
  assert_true (jr_registry_tag_valid ("_x.y-z"));
  assert_false (jr_registry_tag_valid (".x"));
  assert_false (jr_registry_tag_valid ("a/b"));
  assert_false (jr_registry_tag_valid (""));
  assert_true (
      jr_registry_digest_valid ("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  assert_false (
      jr_registry_digest_valid ("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
  assert_false (jr_registry_digest_valid ("sha256:../../etc"));
  assert_false (jr_registry_digest_valid ("md5:0123"));
}

/* ---- WWW-Authenticate ---- */

static void
test_www_auth (void **state)
{
  struct jr_www_auth a;

  (void)state;
  assert_int_equal (
      jr_registry_parse_www_auth ("Bearer realm=\"https://auth.example/token\",service=\"registry."
                                  "example\",scope=\"repository:a/b:pull,push\"",
                                  &a),
      0);
  assert_string_equal (a.scheme, "bearer");
  assert_string_equal (a.realm, "https://auth.example/token");
  assert_string_equal (a.service, "registry.example");
  assert_string_equal (a.scope, "repository:a/b:pull,push");
  jr_www_auth_free (&a);

  assert_int_equal (jr_registry_parse_www_auth ("Basic realm=\"Registry Realm\"", &a), 0);
  assert_string_equal (a.scheme, "basic");
  assert_string_equal (a.realm, "Registry Realm");
  assert_null (a.service);
  jr_www_auth_free (&a);

  /* token values, spaces after commas, escapes */
  assert_int_equal (jr_registry_parse_www_auth ("BEARER realm=https://x/t, service=\"s\\\"q\"", &a), 0);
  assert_string_equal (a.realm, "https://x/t");
  assert_string_equal (a.service, "s\"q");
  jr_www_auth_free (&a);

  assert_int_equal (jr_registry_parse_www_auth ("Bearer realm=\"unterminated", &a), -1);
  assert_int_equal (jr_registry_parse_www_auth ("", &a), -1);
  assert_int_equal (jr_registry_parse_www_auth ("Bearer junk", &a), -1);
}

/* ---- auth.json ---- */

static void
test_auth_lookup (void **state)
{
  /* dXNlcjpwYTpzcw== is base64("user:pa:ss") */
  const char *json = "{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"dXNlcjpwYTpzcw==\"},"
                     "\"https://other:443/v1/\":{\"auth\":\"YTpi\"},"
                     "\"plain:1\":{\"username\":\"u\",\"password\":\"p\"},"
                     "\"bad:1\":{\"auth\":\"!!!\"}}}";
  char *u = NULL, *p = NULL;
  jr_error_t err = NULL;

  (void)state;
  assert_int_equal (jr_registry_auth_lookup (json, strlen (json), "127.0.0.1:5000", &u, &p, &err), 1);
  assert_string_equal (u, "user");
  assert_string_equal (p, "pa:ss");
  free (u);
  free (p);
  assert_int_equal (jr_registry_auth_lookup (json, strlen (json), "other:443", &u, &p, &err), 1);
  assert_string_equal (u, "a");
  assert_string_equal (p, "b");
  free (u);
  free (p);
  assert_int_equal (jr_registry_auth_lookup (json, strlen (json), "plain:1", &u, &p, &err), 1);
  assert_string_equal (u, "u");
  free (u);
  free (p);
  assert_int_equal (jr_registry_auth_lookup (json, strlen (json), "127.0.0.1:5001", &u, &p, &err), 0);
  assert_null (u);
  assert_true (jr_registry_auth_lookup (json, strlen (json), "bad:1", &u, &p, &err) < 0);
  jr_error_free (&err);
  assert_true (jr_registry_auth_lookup ("{", 1, "x", &u, &p, &err) < 0);
  jr_error_free (&err);

  setenv ("REGISTRY_AUTH_FILE", "/tmp/some/auth.json", 1);
  assert_string_equal (jr_registry_auth_file (), "/tmp/some/auth.json");
  unsetenv ("REGISTRY_AUTH_FILE");
  assert_string_equal (jr_registry_auth_file (), "/etc/jitrun/auth.json");

  char *b = jr_base64 ("user:pa:ss", 10);
  assert_string_equal (b, "dXNlcjpwYTpzcw==");
  free (b);
}

static void
test_insecure (void **state)
{
  (void)state;
  unsetenv ("JITRUN_INSECURE_REGISTRIES");
  assert_false (jr_registry_is_insecure ("127.0.0.1:5000", NULL));
  assert_true (jr_registry_is_insecure ("127.0.0.1:5000", "a:1, 127.0.0.1:5000"));
  setenv ("JITRUN_INSECURE_REGISTRIES", "x:1,127.0.0.1:5000", 1);
  assert_true (jr_registry_is_insecure ("127.0.0.1:5000", NULL));
  assert_false (jr_registry_is_insecure ("127.0.0.1", NULL));
  assert_false (jr_registry_is_insecure ("localhost:5000", NULL));
  unsetenv ("JITRUN_INSECURE_REGISTRIES");
}

/* ---- layer tar ---- */

static char *
mktmp (void)
{
  char tmpl[] = "/var/tmp/jr-test-registry.XXXXXX";
  char *d = mkdtemp (tmpl);

  assert_non_null (d);
  return xstrdup (d);
}

static int
dirfd_of (const char *path)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  assert_true (fd >= 0);
  return fd;
}

static void
write_at (const char *dir, const char *rel, const char *content)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, rel);
  FILE *f = fopen (p, "w");

  assert_non_null (f);
  fputs (content, f);
  fclose (f);
}

static char *
read_at (const char *dir, const char *rel)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, rel);
  char *buf = NULL;
  size_t len = 0;

  if (jr_read_file_at (AT_FDCWD, p, &buf, &len, NULL) < 0)
    return NULL;
  return buf;
}

/* An upper dir with what a bootstrap leaves: files, dirs, links, a
   whiteout and an opaque dir. */
static char *
make_upper (void)
{
  char *d = mktmp ();
  cleanup_free char *p = NULL;

  write_at (d, "a.txt", "hello\n");
  p = xasprintf ("%s/dir", d);
  assert_int_equal (mkdir (p, 0750), 0);
  write_at (d, "dir/inner", "inner\n");
  free (p);
  p = xasprintf ("%s/dir/hard", d);
  {
    cleanup_free char *src = xasprintf ("%s/dir/inner", d);
    assert_int_equal (link (src, p), 0);
  }
  free (p);
  p = xasprintf ("%s/link", d);
  assert_int_equal (symlink ("dir/inner", p), 0);
  free (p);
  p = xasprintf ("%s/gone", d);
  assert_int_equal (mknod (p, S_IFCHR | 0, makedev (0, 0)), 0);
  free (p);
  p = xasprintf ("%s/opq", d);
  assert_int_equal (mkdir (p, 0755), 0);
  assert_int_equal (setxattr (p, "trusted.overlay.opaque", "y", 1, 0), 0);
  write_at (d, "opq/new", "new\n");
  return d;
}

static int
tmpfd (void)
{
  int fd = open ("/var/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

  assert_true (fd >= 0);
  return fd;
}

static void
rm_tree (const char *d)
{
  jr_rm_rf_at (AT_FDCWD, d, NULL);
}

static void
test_tar_round_trip (void **state)
{
  cleanup_free char *src = make_upper ();
  cleanup_free char *dst = mktmp ();
  cleanup_close int sfd = dirfd_of (src);
  cleanup_close int dfd = dirfd_of (dst);
  cleanup_close int blob = tmpfd ();
  struct jr_layer_blob b, u;
  struct jr_layer_limits lim;
  jr_error_t err = NULL;
  struct stat st, st2;
  char buf[8];
  cleanup_free char *p = NULL;
  cleanup_free char *c = NULL;

  (void)state;
  jr_layer_limits_default (&lim);
  if (jr_layer_pack (sfd, blob, &b, &err) < 0)
    fail_msg ("pack: %s", err->msg);
  assert_true (b.size > 0);
  assert_true (strncmp (b.digest, "sha256:", 7) == 0);
  assert_string_not_equal (b.digest, b.diff_id);
  if (jr_layer_unpack (blob, b.digest, dfd, &lim, &u, &err) < 0)
    fail_msg ("unpack: %s", err->msg);
  assert_string_equal (u.digest, b.digest);

  c = read_at (dst, "a.txt");
  assert_string_equal (c, "hello\n");
  free (c);
  c = read_at (dst, "dir/hard");
  assert_string_equal (c, "inner\n");
  p = xasprintf ("%s/dir/inner", dst);
  assert_int_equal (stat (p, &st), 0);
  assert_int_equal (st.st_nlink, 2);
  free (p);
  p = xasprintf ("%s/dir", dst);
  assert_int_equal (stat (p, &st), 0);
  assert_int_equal (st.st_mode & 07777, 0750);
  free (p);
  p = xasprintf ("%s/link", dst);
  assert_int_equal (lstat (p, &st), 0);
  assert_true (S_ISLNK (st.st_mode));
  free (p);
  /* the whiteout is a char 0/0 again, the opaque dir opaque again */
  p = xasprintf ("%s/gone", dst);
  assert_int_equal (lstat (p, &st), 0);
  assert_true (S_ISCHR (st.st_mode));
  assert_int_equal (st.st_rdev, makedev (0, 0));
  free (p);
  p = xasprintf ("%s/opq", dst);
  assert_int_equal (getxattr (p, "trusted.overlay.opaque", buf, sizeof (buf)), 1);
  assert_int_equal (buf[0], 'y');
  free (p);
  p = xasprintf ("%s/opq/.wh..wh..opq", dst);
  assert_int_equal (lstat (p, &st2), -1);
  free (c);
  c = read_at (dst, "opq/new");
  assert_string_equal (c, "new\n");
  rm_tree (src);
  rm_tree (dst);
}

static void
test_tar_deterministic (void **state)
{
  cleanup_free char *src = make_upper ();
  cleanup_close int sfd = dirfd_of (src);
  cleanup_close int b1 = tmpfd ();
  cleanup_close int b2 = tmpfd ();
  struct jr_layer_blob x, y;
  jr_error_t err = NULL;
  char d[JR_LAYER_DIGEST_LEN];
  int64_t size = 0;

  (void)state;
  assert_int_equal (jr_layer_pack (sfd, b1, &x, &err), 0);
  /* touching directories (not content) must not change the digest */
  {
    cleanup_free char *p = xasprintf ("%s/dir", src);
    struct timespec ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
    utimensat (AT_FDCWD, p, ts, 0);
  }
  assert_int_equal (jr_layer_pack (sfd, b2, &y, &err), 0);
  assert_string_equal (x.digest, y.digest);
  assert_string_equal (x.diff_id, y.diff_id);
  assert_int_equal (x.size, y.size);
  assert_int_equal (jr_layer_file_digest (b1, d, &size, &err), 0);
  assert_string_equal (d, x.digest);
  assert_int_equal (size, x.size);
  /* a content change does change it */
  write_at (src, "a.txt", "changed\n");
  {
    cleanup_close int b3 = tmpfd ();
    struct jr_layer_blob z;
    assert_int_equal (jr_layer_pack (sfd, b3, &z, &err), 0);
    assert_string_not_equal (x.digest, z.digest);
  }
  rm_tree (src);
}

static void
test_tar_refuses_app_whiteout_name (void **state)
{
  cleanup_free char *src = mktmp ();
  cleanup_close int sfd = -1;
  cleanup_close int blob = tmpfd ();
  struct jr_layer_blob b;
  jr_error_t err = NULL;

  (void)state;
  write_at (src, ".wh.secret", "x");
  sfd = dirfd_of (src);
  assert_true (jr_layer_pack (sfd, blob, &b, &err) < 0);
  assert_non_null (strstr (err->msg, ".wh.secret"));
  jr_error_free (&err);
  rm_tree (src);
}

/* Malicious tars, written with libarchive directly. */
struct tentry
{
  const char *path;
  mode_t type; /* AE_IF* */
  const char *data;
  const char *link; /* symlink target */
  const char *hardlink;
  int64_t size; /* -1: strlen(data) */
};

static int
make_tar (const struct tentry *e, size_t n, char digest[JR_LAYER_DIGEST_LEN])
{
  int fd = tmpfd ();
  struct archive *a = archive_write_new ();
  struct archive_entry *ae = archive_entry_new ();
  int64_t size;
  size_t i;

  archive_write_set_format_pax_restricted (a);
  assert_int_equal (archive_write_open_fd (a, fd), ARCHIVE_OK);
  for (i = 0; i < n; i++)
    {
      archive_entry_clear (ae);
      archive_entry_set_pathname (ae, e[i].path);
      archive_entry_set_filetype (ae, e[i].type);
      archive_entry_set_perm (ae, 0644);
      if (e[i].link)
        archive_entry_set_symlink (ae, e[i].link);
      if (e[i].hardlink)
        archive_entry_set_hardlink (ae, e[i].hardlink);
      if (e[i].type == AE_IFCHR)
        archive_entry_set_rdev (ae, makedev (1, 3));
      size = e[i].size >= 0 ? e[i].size : (e[i].data ? (int64_t)strlen (e[i].data) : 0);
      archive_entry_set_size (ae, size);
      assert_int_equal (archive_write_header (a, ae), ARCHIVE_OK);
      if (e[i].data)
        archive_write_data (a, e[i].data, strlen (e[i].data));
    }
  archive_write_close (a);
  archive_write_free (a);
  archive_entry_free (ae);
  assert_int_equal (jr_layer_file_digest (fd, digest, NULL, NULL), 0);
  return fd;
}

/* Unpack entries into a fresh dir; returns the error message (or NULL). */
static char *
try_unpack (const struct tentry *e, size_t n, const struct jr_layer_limits *lim_in, char **dir_out)
{
  char digest[JR_LAYER_DIGEST_LEN];
  cleanup_close int fd = make_tar (e, n, digest);
  cleanup_free char *dst = mktmp ();
  cleanup_close int dfd = dirfd_of (dst);
  struct jr_layer_limits lim;
  jr_error_t err = NULL;
  char *msg = NULL;

  jr_layer_limits_default (&lim);
  if (lim_in)
    lim = *lim_in;
  if (jr_layer_unpack (fd, digest, dfd, &lim, NULL, &err) < 0)
    {
      msg = xstrdup (err->msg);
      jr_error_free (&err);
    }
  if (dir_out)
    *dir_out = jr_steal_ptr (dst);
  else
    rm_tree (dst);
  return msg;
}

#define N(x) (sizeof (x) / sizeof ((x)[0]))

static void
expect_refused (const struct tentry *e, size_t n, const struct jr_layer_limits *lim, const char *needle)
{
  cleanup_free char *msg = try_unpack (e, n, lim, NULL);

  if (msg == NULL)
    fail_msg ("malicious tar accepted (expected `%s`)", needle);
  if (strstr (msg, needle) == NULL)
    fail_msg ("unexpected message `%s` (expected `%s`)", msg, needle);
}

static void
test_unpack_refusals (void **state)
{
  (void)state;
  {
    struct tentry e[] = { { "../evil", AE_IFREG, "x", NULL, NULL, -1 } };
    expect_refused (e, N (e), NULL, "`..`");
  }
  {
    struct tentry e[] = { { "a/../../evil", AE_IFREG, "x", NULL, NULL, -1 } };
    expect_refused (e, N (e), NULL, "`..`");
  }
  {
    struct tentry e[] = { { "/etc/evil", AE_IFREG, "x", NULL, NULL, -1 } };
    expect_refused (e, N (e), NULL, "absolute");
  }
  {
    struct tentry e[] = { { "dev/null", AE_IFCHR, NULL, NULL, NULL, 0 } };
    expect_refused (e, N (e), NULL, "device node");
  }
  {
    struct tentry e[] = { { "fifo", AE_IFIFO, NULL, NULL, NULL, 0 } };
    expect_refused (e, N (e), NULL, "fifo");
  }
  {
    struct tentry e[] = { { "a/link", AE_IFLNK, NULL, "../../etc/shadow", NULL, 0 } };
    expect_refused (e, N (e), NULL, "escapes");
  }
  {
    /* a symlinked dir, then a file through it: never followed */
    struct tentry e[]
        = { { "l", AE_IFLNK, NULL, "/tmp", NULL, 0 }, { "l/owned", AE_IFREG, "x", NULL, NULL, -1 } };
    expect_refused (e, N (e), NULL, "not a directory");
  }
  {
    struct tentry e[] = { { "h", AE_IFREG, NULL, NULL, "../outside", 0 } };
    expect_refused (e, N (e), NULL, "`..`");
  }
  {
    struct tentry e[] = { { "h", AE_IFREG, NULL, NULL, "/etc/passwd", 0 } };
    expect_refused (e, N (e), NULL, "absolute");
  }
  {
    struct tentry e[] = { { ".wh.x", AE_IFDIR, NULL, NULL, NULL, 0 } };
    expect_refused (e, N (e), NULL, "whiteout");
  }
  {
    struct jr_layer_limits lim = { .max_bytes = 10, .max_entries = 100 };
    struct tentry e[] = { { "big", AE_IFREG, "0123456789abcdef", NULL, NULL, -1 } };
    expect_refused (e, N (e), &lim, "limit");
  }
  {
    struct jr_layer_limits lim = { .max_bytes = 1 << 20, .max_entries = 2 };
    struct tentry e[] = { { "1", AE_IFREG, "", NULL, NULL, -1 },
                          { "2", AE_IFREG, "", NULL, NULL, -1 },
                          { "3", AE_IFREG, "", NULL, NULL, -1 } };
    expect_refused (e, N (e), &lim, "entries");
  }
}

static void
test_unpack_accepts_normal (void **state)
{
  struct tentry e[] = {
    { "./usr/", AE_IFDIR, NULL, NULL, NULL, 0 },
    { "./usr/lib/x.so", AE_IFREG, "elf", NULL, NULL, -1 },
    { "usr/lib/abs", AE_IFLNK, NULL, "/usr/lib/x.so", NULL, 0 },
    { "usr/lib/rel", AE_IFLNK, NULL, "../lib/x.so", NULL, 0 },
    { "usr/lib/hl", AE_IFREG, NULL, NULL, "usr/lib/x.so", 0 },
    { "etc/.wh.old", AE_IFREG, "", NULL, NULL, -1 },
    { " spaced name ", AE_IFREG, "s", NULL, NULL, -1 },
  };
  char *dir = NULL;
  cleanup_free char *msg = try_unpack (e, N (e), NULL, &dir);
  cleanup_free char *p = NULL;
  cleanup_free char *c = NULL;
  struct stat st;

  (void)state;
  if (msg)
    fail_msg ("refused a normal layer: %s", msg);
  c = read_at (dir, "usr/lib/hl");
  assert_string_equal (c, "elf");
  p = xasprintf ("%s/etc/old", dir);
  assert_int_equal (lstat (p, &st), 0);
  assert_true (S_ISCHR (st.st_mode));
  free (c);
  c = read_at (dir, " spaced name ");
  assert_string_equal (c, "s");
  rm_tree (dir);
  free (dir);
}

static void
test_unpack_digest_mismatch (void **state)
{
  struct tentry e[] = { { "f", AE_IFREG, "data", NULL, NULL, -1 } };
  char digest[JR_LAYER_DIGEST_LEN];
  cleanup_close int fd = make_tar (e, N (e), digest);
  cleanup_free char *dst = mktmp ();
  cleanup_close int dfd = dirfd_of (dst);
  struct jr_layer_limits lim;
  jr_error_t err = NULL;
  cleanup_free char *p = xasprintf ("%s/f", dst);

  (void)state;
  jr_layer_limits_default (&lim);
  digest[10] = digest[10] == 'a' ? 'b' : 'a';
  assert_true (jr_layer_unpack (fd, digest, dfd, &lim, NULL, &err) < 0);
  assert_non_null (strstr (err->msg, "digest mismatch"));
  jr_error_free (&err);
  /* nothing extracted */
  assert_int_equal (access (p, F_OK), -1);
  rm_tree (dst);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_ref_parse),
    cmocka_unit_test (test_tag_digest_valid),
    cmocka_unit_test (test_www_auth),
    cmocka_unit_test (test_auth_lookup),
    cmocka_unit_test (test_insecure),
    cmocka_unit_test (test_tar_round_trip),
    cmocka_unit_test (test_tar_deterministic),
    cmocka_unit_test (test_tar_refuses_app_whiteout_name),
    cmocka_unit_test (test_unpack_refusals),
    cmocka_unit_test (test_unpack_accepts_normal),
    cmocka_unit_test (test_unpack_digest_mismatch),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
