/* Unit tests of the extension cache: annotations, key, store, commit/verify. */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "libjitrun/extcache/extcache.h"
#include "libjitrun/extcache/key.h"
#include "libjitrun/extcache/overlay.h"
#include "libjitrun/extcache/snapshot.h"
#include "libjitrun/extcache/store.h"
#include "libjitrun/utils.h"

/* ---- helpers ---- */

static char *
make_tmpdir (void)
{
  char *d = xstrdup ("/tmp/jitrun-test-extcache-XXXXXX");
  assert_non_null (mkdtemp (d));
  return d;
}

static void
write_at (int dfd, const char *path, const char *content)
{
  cleanup_free char *copy = xstrdup (path);
  char *slash = strrchr (copy, '/');
  if (slash)
    {
      *slash = '\0';
      assert_int_equal (jr_mkdir_p_at (dfd, copy, 0755, NULL), 0);
    }
  assert_int_equal (jr_write_file_at (dfd, path, content, strlen (content), 0644, NULL), 0);
}

static void
rm_tmpdir (char *d)
{
  jr_rm_rf_at (AT_FDCWD, d, NULL);
  free (d);
}

struct fixture
{
  char *dir;
  int rootfd;
  struct oci_spec spec;
  struct oci_process process;
  char *env[4];
};

static void
set_ann (struct fixture *f, const char *k, const char *v)
{
  oci_string_map_set (&f->spec.annotations, k, v);
}

static int
setup (void **state)
{
  struct fixture *f = xmalloc0 (sizeof (*f));

  f->dir = make_tmpdir ();
  f->rootfd = open (f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (f->rootfd >= 0);
  write_at (f->rootfd, "usr/lib/os-release", "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n");
  assert_int_equal (symlinkat ("../usr/lib/os-release", f->rootfd, "etc/os-release") == 0
                        || (mkdirat (f->rootfd, "etc", 0755) == 0
                            && symlinkat ("../usr/lib/os-release", f->rootfd, "etc/os-release") == 0),
                    1);
  write_at (f->rootfd, "app/package-lock.json", "{\"lock\": 1}\n");
  write_at (f->rootfd, "app/requirements.txt", "flask==3.0\n");
  f->env[0] = xstrdup ("PATH=/usr/bin:/bin");
  f->env[1] = xstrdup ("NODE_ENV=production");
  f->env[2] = xstrdup ("POD_NAME=web-1");
  f->process.env = f->env;
  f->process.env_len = 3;
  f->process.cwd = xstrdup ("/app");
  f->spec.process = &f->process;
  set_ann (f, JR_EC_ANN_BOOTSTRAP, "[\"npm\", \"ci\"]");
  set_ann (f, JR_EC_ANN_APP, "shop");
  set_ann (f, JR_EC_ANN_VERSION, "2.3.1");
  set_ann (f, JR_EC_ANN_MANIFEST, "package-lock.json,/app/requirements.txt");
  unsetenv (JR_EC_ARCH_ENV);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  size_t i;

  close (f->rootfd);
  rm_tmpdir (f->dir);
  for (i = 0; i < f->spec.annotations.len; i++)
    {
      free (f->spec.annotations.keys[i]);
      free (f->spec.annotations.values[i]);
    }
  free (f->spec.annotations.keys);
  free (f->spec.annotations.values);
  for (i = 0; i < 3; i++)
    free (f->env[i]);
  free (f->process.cwd);
  free (f);
  unsetenv (JR_EC_ARCH_ENV);
  return 0;
}

/* Key of the fixture's current spec (hex copied into out). */
static void
key_of (struct fixture *f, char out[65])
{
  struct jr_ec_config cfg;
  struct jr_ec_key key;
  jr_error_t err = NULL;

  if (jr_ec_config_parse (&f->spec.annotations, &cfg, &err) < 0)
    fail_msg ("config: %s", err->msg);
  if (jr_ec_key_compute (&cfg, &f->spec, f->rootfd, &key, &err) < 0)
    fail_msg ("key: %s", err->msg);
  memcpy (out, key.key, 65);
  jr_ec_key_free (&key);
  jr_ec_config_free (&cfg);
}

/* ---- annotations ---- */

static void
test_config_defaults (void **state)
{
  struct fixture *f = *state;
  struct jr_ec_config cfg;
  jr_error_t err = NULL;

  assert_int_equal (jr_ec_config_parse (&f->spec.annotations, &cfg, &err), 0);
  assert_int_equal (cfg.bootstrap_len, 2);
  assert_string_equal (cfg.bootstrap[0], "npm");
  assert_string_equal (cfg.bootstrap[1], "ci");
  assert_string_equal (cfg.app, "shop");
  assert_false (cfg.compat_major);
  assert_int_equal (cfg.mode, JR_EC_MODE_RW);
  assert_int_equal (cfg.timeout, JR_EC_DEFAULT_TIMEOUT);
  assert_null (cfg.key_env[0]);
  assert_string_equal (cfg.manifests[0], "package-lock.json");
  assert_string_equal (cfg.manifests[1], "/app/requirements.txt");
  jr_ec_config_free (&cfg);
}

static void
expect_config_error (struct fixture *f, const char *k, const char *v, const char *substr)
{
  struct jr_ec_config cfg;
  jr_error_t err = NULL;

  set_ann (f, k, v);
  assert_true (jr_ec_config_parse (&f->spec.annotations, &cfg, &err) < 0);
  assert_non_null (err);
  if (strstr (err->msg, substr) == NULL)
    fail_msg ("error `%s` does not mention `%s`", err->msg, substr);
  jr_error_free (&err);
}

static void
test_config_errors (void **state)
{
  struct fixture *f = *state;

  expect_config_error (f, JR_EC_ANN_MODE, "sometimes", "run.jitrun.mode");
  set_ann (f, JR_EC_ANN_MODE, "ro");
  expect_config_error (f, JR_EC_ANN_COMPAT, "minor", "run.jitrun.compat");
  set_ann (f, JR_EC_ANN_COMPAT, "major");
  expect_config_error (f, JR_EC_ANN_TIMEOUT, "0", "run.jitrun.timeout");
  expect_config_error (f, JR_EC_ANN_TIMEOUT, "10x", "run.jitrun.timeout");
  set_ann (f, JR_EC_ANN_TIMEOUT, "30");
  expect_config_error (f, JR_EC_ANN_KEY_ENV, "GOOD,bad-name", "bad-name");
  set_ann (f, JR_EC_ANN_KEY_ENV, "NODE_ENV");
  expect_config_error (f, JR_EC_ANN_APP, "", "run.jitrun.app");
  expect_config_error (f, JR_EC_ANN_APP, "my app", "run.jitrun.app");
  set_ann (f, JR_EC_ANN_APP, "shop");
  expect_config_error (f, JR_EC_ANN_VERSION, "", "run.jitrun.version");
  set_ann (f, JR_EC_ANN_VERSION, "1.0.0");
  expect_config_error (f, JR_EC_ANN_BOOTSTRAP, "npm ci", "run.jitrun.bootstrap");
  expect_config_error (f, JR_EC_ANN_BOOTSTRAP, "[]", "run.jitrun.bootstrap");
  expect_config_error (f, JR_EC_ANN_BOOTSTRAP, "[1, 2]", "run.jitrun.bootstrap");
  set_ann (f, JR_EC_ANN_BOOTSTRAP, "[\"true\"]");
  {
    struct jr_ec_config cfg;
    assert_int_equal (jr_ec_config_parse (&f->spec.annotations, &cfg, NULL), 0);
    assert_int_equal (cfg.mode, JR_EC_MODE_RO);
    assert_true (cfg.compat_major);
    assert_int_equal (cfg.timeout, 30);
    assert_string_equal (cfg.key_env[0], "NODE_ENV");
    jr_ec_config_free (&cfg);
  }
}

static void
test_wanted (void **state)
{
  struct fixture *f = *state;

  assert_true (jr_extcache_wanted (&f->spec));
  set_ann (f, JR_EC_ANN_MODE, "off");
  assert_false (jr_extcache_wanted (&f->spec));
  set_ann (f, JR_EC_ANN_MODE, "ro");
  assert_true (jr_extcache_wanted (&f->spec));
  {
    struct oci_spec empty = { 0 };
    assert_false (jr_extcache_wanted (&empty));
  }
}

static void
test_cache_dir (void **state)
{
  (void)state;
  unsetenv ("JITRUN_CACHE_DIR");
  assert_string_equal (jr_extcache_dir (NULL), JR_EXTCACHE_DEFAULT_DIR);
  setenv ("JITRUN_CACHE_DIR", "/env/cache", 1);
  assert_string_equal (jr_extcache_dir (NULL), "/env/cache");
  assert_string_equal (jr_extcache_dir ("/cli/cache"), "/cli/cache");
  unsetenv ("JITRUN_CACHE_DIR");
}

/* ---- key pieces ---- */

static void
check_compat (const char *v, const char *want)
{
  cleanup_free char *got = jr_ec_semver_compat (v);
  if (want == NULL)
    {
      if (got != NULL)
        fail_msg ("%s: expected not semver, got `%s`", v, got);
    }
  else
    {
      if (got == NULL)
        fail_msg ("%s: expected `%s`, got not semver", v, want);
      assert_string_equal (got, want);
    }
}

static void
test_semver (void **state)
{
  (void)state;
  check_compat ("2.3.1", "2");
  check_compat ("2.9.0", "2");
  check_compat ("3.0.0", "3");
  check_compat ("v2.3.1", "2");
  check_compat ("10.0.1+build.7", "10");
  check_compat ("0.4.2", "0.4");
  check_compat ("0.5.0", "0.5");
  check_compat ("2.3", NULL);
  check_compat ("2.3.1-rc.1", NULL);
  check_compat ("02.3.1", NULL);
  check_compat ("latest", NULL);
  check_compat ("2.3.1.4", NULL);
}

static void
check_arch (const char *machine, const char *arch, const char *variant)
{
  cleanup_free char *a = NULL;
  cleanup_free char *v = NULL;

  assert_int_equal (jr_ec_arch (machine, &a, &v, NULL), 0);
  assert_string_equal (a, arch);
  assert_string_equal (v, variant);
}

static void
test_arch (void **state)
{
  (void)state;
  unsetenv (JR_EC_ARCH_ENV);
  check_arch ("x86_64", "amd64", "");
  check_arch ("aarch64", "arm64", "v8");
  check_arch ("armv7l", "arm", "v7");
  check_arch ("armv6l", "arm", "v6");
  check_arch ("i686", "386", "");
  check_arch ("ppc64le", "ppc64le", "");
  check_arch ("s390x", "s390x", "");
  check_arch ("riscv64", "riscv64", "");
  setenv (JR_EC_ARCH_ENV, "arm/v7", 1);
  check_arch ("x86_64", "arm", "v7");
  setenv (JR_EC_ARCH_ENV, "arm64", 1);
  check_arch ("x86_64", "arm64", "");
  unsetenv (JR_EC_ARCH_ENV);
}

static void
test_os_release (void **state)
{
  static const char text[] = "NAME='Alpine Linux'\n"
                             "ID=alpine\n"
                             "VERSION_ID=\"3.19.1\"\n"
                             "PRETTY_NAME=\"x\\\"y\"\n"
                             "# ID=comment\n"
                             "ID_LIKE=debian\n";
  char *id = NULL, *ver = NULL;

  (void)state;
  jr_ec_parse_os_release (text, strlen (text), &id, &ver);
  assert_string_equal (id, "alpine");
  assert_string_equal (ver, "3.19.1");
  free (id);
  free (ver);
  jr_ec_parse_os_release ("ID=\"ubu\\\"ntu\"", 14, &id, &ver);
  assert_string_equal (id, "ubu\"ntu");
  assert_string_equal (ver, "");
  free (id);
  free (ver);
}

static void
test_sha256 (void **state)
{
  static const struct
  {
    const char *in, *hex;
  } vectors[] = {
    { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
  };
  unsigned char data[1000];
  char hex[65];
  size_t i, len;

  (void)state;
  for (i = 0; i < sizeof (vectors) / sizeof (vectors[0]); i++)
    {
      jr_ec_sha256_hex (vectors[i].in, strlen (vectors[i].in), hex);
      assert_string_equal (hex, vectors[i].hex);
    }
  /* every length around the padding boundaries, fed in odd chunks, agrees
     with OpenSSL */
  for (i = 0; i < sizeof (data); i++)
    data[i] = (unsigned char)(i * 131 + 7);
  for (len = 0; len < 300; len++)
    {
      struct jr_ec_sha256 c;
      unsigned char mine[32], ref[32];
      unsigned int n = 0;
      size_t off = 0;
      jr_ec_sha256_init (&c);
      while (off < len)
        {
          size_t chunk = (off % 7) + 1 < len - off ? (off % 7) + 1 : len - off;
          jr_ec_sha256_update (&c, data + off, chunk);
          off += chunk;
        }
      jr_ec_sha256_final (&c, mine);
      assert_int_equal (EVP_Digest (data, len, ref, &n, EVP_sha256 (), NULL), 1);
      assert_memory_equal (mine, ref, 32);
    }
}

/* ---- the key ---- */

static void
test_key_stable_and_hex (void **state)
{
  struct fixture *f = *state;
  char a[65], b[65];
  size_t i;

  key_of (f, a);
  key_of (f, b);
  assert_string_equal (a, b);
  assert_int_equal (strlen (a), 64);
  for (i = 0; i < 64; i++)
    assert_non_null (strchr ("0123456789abcdef", a[i]));
  /* same command, other JSON spelling: same key */
  set_ann (f, JR_EC_ANN_BOOTSTRAP, "[\"npm\",\"ci\"]");
  key_of (f, b);
  assert_string_equal (a, b);
  /* mode ro reads the same layers as rw */
  set_ann (f, JR_EC_ANN_MODE, "ro");
  key_of (f, b);
  assert_string_equal (a, b);
  /* the timeout does not change what is built */
  set_ann (f, JR_EC_ANN_TIMEOUT, "5");
  key_of (f, b);
  assert_string_equal (a, b);
}

static void
test_key_version (void **state)
{
  struct fixture *f = *state;
  char k231[65], k290[65], k300[65];

  key_of (f, k231);
  set_ann (f, JR_EC_ANN_VERSION, "2.9.0");
  key_of (f, k290);
  assert_string_not_equal (k231, k290);

  set_ann (f, JR_EC_ANN_COMPAT, "major");
  set_ann (f, JR_EC_ANN_VERSION, "2.3.1");
  key_of (f, k231);
  set_ann (f, JR_EC_ANN_VERSION, "2.9.0");
  key_of (f, k290);
  set_ann (f, JR_EC_ANN_VERSION, "3.0.0");
  key_of (f, k300);
  assert_string_equal (k231, k290);
  assert_string_not_equal (k290, k300);

  /* non-semver under major: exact */
  set_ann (f, JR_EC_ANN_VERSION, "nightly-1");
  key_of (f, k231);
  set_ann (f, JR_EC_ANN_VERSION, "nightly-2");
  key_of (f, k290);
  assert_string_not_equal (k231, k290);

  /* exact "2" and major of 2.x are different promises */
  set_ann (f, JR_EC_ANN_VERSION, "2");
  set_ann (f, JR_EC_ANN_COMPAT, "exact");
  key_of (f, k231);
  set_ann (f, JR_EC_ANN_VERSION, "2.0.0");
  set_ann (f, JR_EC_ANN_COMPAT, "major");
  key_of (f, k290);
  assert_string_not_equal (k231, k290);
}

static void
test_key_inputs (void **state)
{
  struct fixture *f = *state;
  char base[65], k[65];

  key_of (f, base);

  /* manifest content */
  write_at (f->rootfd, "app/package-lock.json", "{\"lock\": 2}\n");
  key_of (f, k);
  assert_string_not_equal (base, k);
  write_at (f->rootfd, "app/package-lock.json", "{\"lock\": 1}\n");
  key_of (f, k);
  assert_string_equal (base, k);

  /* arch override */
  setenv (JR_EC_ARCH_ENV, "arm64", 1);
  key_of (f, k);
  assert_string_not_equal (base, k);
  setenv (JR_EC_ARCH_ENV, "arm/v7", 1);
  {
    char k2[65];
    key_of (f, k2);
    assert_string_not_equal (k, k2);
  }
  unsetenv (JR_EC_ARCH_ENV);

  /* OS */
  write_at (f->rootfd, "usr/lib/os-release", "ID=debian\nVERSION_ID=\"13\"\n");
  key_of (f, k);
  assert_string_not_equal (base, k);
  write_at (f->rootfd, "usr/lib/os-release", "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n");

  /* bootstrap command */
  set_ann (f, JR_EC_ANN_BOOTSTRAP, "[\"npm\", \"ci\", \"--omit=dev\"]");
  key_of (f, k);
  assert_string_not_equal (base, k);
  set_ann (f, JR_EC_ANN_BOOTSTRAP, "[\"npm\", \"ci\"]");

  /* app name */
  set_ann (f, JR_EC_ANN_APP, "shop2");
  key_of (f, k);
  assert_string_not_equal (base, k);
  set_ann (f, JR_EC_ANN_APP, "shop");

  /* env: only the key-env variables count */
  free (f->env[2]);
  f->env[2] = xstrdup ("POD_NAME=web-2");
  key_of (f, k);
  assert_string_equal (base, k);
  set_ann (f, JR_EC_ANN_KEY_ENV, "NODE_ENV");
  {
    char prod[65], dev[65];
    key_of (f, prod);
    assert_string_not_equal (base, prod);
    free (f->env[1]);
    f->env[1] = xstrdup ("NODE_ENV=development");
    key_of (f, dev);
    assert_string_not_equal (prod, dev);
  }

  /* manifests resolve inside the rootfs and relative to process.cwd */
  set_ann (f, JR_EC_ANN_KEY_ENV, "");
  set_ann (f, JR_EC_ANN_MANIFEST, "missing.lock");
  {
    struct jr_ec_config cfg;
    struct jr_ec_key key;
    jr_error_t err = NULL;
    assert_int_equal (jr_ec_config_parse (&f->spec.annotations, &cfg, NULL), 0);
    assert_true (jr_ec_key_compute (&cfg, &f->spec, f->rootfd, &key, &err) < 0);
    assert_non_null (strstr (err->msg, "/app/missing.lock"));
    jr_error_free (&err);
    jr_ec_config_free (&cfg);
  }
  /* a symlink pointing out of the rootfs stays inside it */
  assert_int_equal (symlinkat ("/../../../../etc/passwd", f->rootfd, "app/evil.lock"), 0);
  set_ann (f, JR_EC_ANN_MANIFEST, "evil.lock");
  {
    struct jr_ec_config cfg;
    struct jr_ec_key key;
    jr_error_t err = NULL;
    assert_int_equal (jr_ec_config_parse (&f->spec.annotations, &cfg, NULL), 0);
    assert_true (jr_ec_key_compute (&cfg, &f->spec, f->rootfd, &key, &err) < 0);
    jr_error_free (&err);
    jr_ec_config_free (&cfg);
  }
}

/* ---- store ---- */

static void
fake_entry (int cachefd, const char *key, int64_t size, time_t last_used)
{
  cleanup_free char *meta = xasprintf ("{\"key\":\"%s\",\"app\":\"a\",\"size\":%lld}", key, (long long)size);
  cleanup_free char *dir = xasprintf ("layers/%s/layer", key);
  cleanup_free char *mpath = xasprintf ("layers/%s/meta.json", key);
  struct timespec times[2] = { { .tv_sec = last_used }, { .tv_sec = last_used } };

  assert_int_equal (jr_mkdir_p_at (cachefd, dir, 0755, NULL), 0);
  write_at (cachefd, mpath, meta);
  assert_int_equal (utimensat (cachefd, mpath, times, 0), 0);
}

static void
test_store_list_gc (void **state)
{
  char *dir = make_tmpdir ();
  cleanup_free char *cache = xasprintf ("%s/cache", dir);
  struct jr_ec_entry *v = NULL;
  bool remove[4];
  size_t n = 0;
  int cachefd, cfd;
  jr_error_t err = NULL;
  struct stat st;

  (void)state;
  cachefd = jr_ec_store_open (cache, &err);
  assert_true (cachefd >= 0);
  assert_int_equal (stat (cache, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0700);

  fake_entry (cachefd, "aaaa1111", 100, 1000);
  fake_entry (cachefd, "bbbb2222", 200, 3000);
  fake_entry (cachefd, "cccc3333", 300, 2000);
  fake_entry (cachefd, "aaaa9999", 400, 4000);
  assert_true (jr_ec_store_has (cachefd, "bbbb2222"));
  assert_false (jr_ec_store_has (cachefd, "dddd"));

  /* bbbb is used by a container */
  cfd = jr_ec_container_dir_create (cachefd, "ctr1", "bbbb2222", NULL, &err);
  assert_true (cfd >= 0);
  close (cfd);

  assert_int_equal (jr_ec_store_list (cachefd, &v, &n, &err), 0);
  assert_int_equal (n, 4);
  /* least recently used first */
  assert_string_equal (v[0].key, "aaaa1111");
  assert_string_equal (v[1].key, "cccc3333");
  assert_string_equal (v[2].key, "bbbb2222");
  assert_string_equal (v[3].key, "aaaa9999");
  assert_int_equal (v[1].size, 300);
  assert_true (v[2].in_use);
  assert_false (v[0].in_use);

  /* max-age: older than 1500 s at now=4500 -> aaaa1111 (3500), cccc (2500); bbbb in use */
  jr_ec_gc_select (v, n, -1, 1500, 4500, remove);
  assert_true (remove[0]);
  assert_true (remove[1]);
  assert_false (remove[2]);
  assert_false (remove[3]);
  /* max-size 600: total 1000, drop LRU first: aaaa1111 (->900), cccc (->600) */
  jr_ec_gc_select (v, n, 600, -1, 4500, remove);
  assert_true (remove[0]);
  assert_true (remove[1]);
  assert_false (remove[2]);
  assert_false (remove[3]);
  /* max-size 0: everything not in use */
  jr_ec_gc_select (v, n, 0, -1, 4500, remove);
  assert_true (remove[0] && remove[1] && remove[3]);
  assert_false (remove[2]);
  /* no limits: nothing */
  jr_ec_gc_select (v, n, -1, -1, 4500, remove);
  assert_false (remove[0] || remove[1] || remove[2] || remove[3]);
  jr_ec_entries_free (v, n);

  /* ids: unique prefix, ambiguous prefix, unknown */
  {
    cleanup_free char *key = NULL;
    assert_int_equal (jr_ec_store_resolve (cachefd, "ccc", &key, &err), 0);
    assert_string_equal (key, "cccc3333");
    free (key);
    assert_true (jr_ec_store_resolve (cachefd, "aaaa", &key, &err) < 0);
    assert_non_null (strstr (err->msg, "ambiguous"));
    jr_error_free (&err);
    assert_true (jr_ec_store_resolve (cachefd, "zz", &key, &err) < 0);
    jr_error_free (&err);
  }

  /* rm: refused in use, done otherwise */
  assert_true (jr_ec_store_remove (cachefd, "bbbb2222", &err) < 0);
  assert_non_null (strstr (err->msg, "in use"));
  jr_error_free (&err);
  assert_int_equal (jr_ec_store_remove (cachefd, "cccc3333", &err), 0);
  assert_false (jr_ec_store_has (cachefd, "cccc3333"));
  /* a held lock (a create mounting it) makes rm back off */
  {
    int lockfd = jr_ec_lock_key (cachefd, "aaaa1111", LOCK_SH, &err);
    assert_true (lockfd >= 0);
    assert_true (jr_ec_store_remove (cachefd, "aaaa1111", &err) < 0);
    jr_error_free (&err);
    close (lockfd);
  }
  /* after delete, the layer is no longer in use */
  assert_int_equal (jr_extcache_container_delete (cache, "ctr1", "bbbb2222", &err), 0);
  assert_false (jr_ec_store_in_use (cachefd, "bbbb2222"));
  assert_int_equal (jr_ec_store_remove (cachefd, "bbbb2222", &err), 0);

  close (cachefd);
  rm_tmpdir (dir);
}

static void
test_staging_clean (void **state)
{
  char *dir = make_tmpdir ();
  cleanup_free char *cache = xasprintf ("%s/cache", dir);
  cleanup_free char *a = NULL;
  cleanup_free char *b = NULL;
  cleanup_free char *pa = NULL;
  cleanup_free char *pb = NULL;
  int cachefd, lockfd;

  (void)state;
  cachefd = jr_ec_store_open (cache, NULL);
  assert_true (cachefd >= 0);
  assert_int_equal (jr_ec_staging_create (cachefd, "k1", &a, NULL), 0);
  assert_int_equal (jr_ec_staging_create (cachefd, "k2", &b, NULL), 0);
  pa = xasprintf ("staging/%s/owner", a);
  pb = xasprintf ("staging/%s", b);
  assert_int_equal (faccessat (cachefd, pa, F_OK, 0), 0);
  /* k2 is being built by someone alive (lock held): kept; k1 is stale */
  lockfd = jr_ec_lock_key (cachefd, "k2", LOCK_EX, NULL);
  assert_true (lockfd >= 0);
  assert_int_equal (jr_ec_staging_clean (cachefd, NULL, NULL), 0);
  assert_int_equal (faccessat (cachefd, pb, F_OK, 0), 0);
  pa[strlen (pa) - 6] = '\0';
  assert_true (faccessat (cachefd, pa, F_OK, 0) < 0);
  /* the holder itself knows its key's leftovers are stale */
  assert_int_equal (jr_ec_staging_clean (cachefd, "k2", NULL), 0);
  assert_true (faccessat (cachefd, pb, F_OK, 0) < 0);
  close (lockfd);
  close (cachefd);
  rm_tmpdir (dir);
}

static void
test_container_dir_trash (void **state)
{
  char *dir = make_tmpdir ();
  cleanup_free char *cache = xasprintf ("%s/cache", dir);
  cleanup_close int trashfd = -1;
  int cachefd, cfd;
  size_t n = 0;
  char **names = NULL;

  (void)state;
  cachefd = jr_ec_store_open (cache, NULL);
  assert_true (cachefd >= 0);
  cfd = jr_ec_container_dir_create (cachefd, "c1", "k1", NULL, NULL);
  assert_true (cfd >= 0);
  write_at (cfd, "upper/file", "data");
  close (cfd);
  /* one rename: the container's dir is gone, its content in trash/ */
  assert_int_equal (jr_ec_container_dir_trash (cachefd, "c1", NULL), 1);
  assert_true (faccessat (cachefd, "containers/c1", F_OK, 0) < 0);
  trashfd = openat (cachefd, "trash", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (trashfd >= 0);
  assert_int_equal (jr_list_dir_sorted (trashfd, &names, &n, NULL), 0);
  assert_int_equal (n, 1);
  assert_true (jr_has_prefix (names[0], "c-c1."));
  jr_strv_free (names);
  /* nothing to move: 0; a bad id: refused */
  assert_int_equal (jr_ec_container_dir_trash (cachefd, "c1", NULL), 0);
  assert_true (jr_ec_container_dir_trash (cachefd, "..", NULL) < 0);
  assert_int_equal (jr_ec_trash_empty (cachefd, NULL), 0);
  assert_int_equal (jr_list_dir_sorted (trashfd, &names, &n, NULL), 0);
  assert_int_equal (n, 0);
  jr_strv_free (names);
  close (cachefd);
  rm_tmpdir (dir);
}

static size_t
count_entries (int dfd, const char *path)
{
  cleanup_close int fd = openat (dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char **names = NULL;
  size_t n = 0, i, visible = 0;

  assert_true (fd >= 0);
  assert_int_equal (jr_list_dir_sorted (fd, &names, &n, NULL), 0);
  for (i = 0; i < n; i++)
    if (names[i][0] != '.')
      visible++;
  if (names)
    jr_strv_free (names);
  return visible;
}

/* the dir's inode flags, or -1 where the filesystem has none (tmpfs) */
static int
dir_flags_at (int dirfd, const char *name)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int flags = 0;

  assert_true (fd >= 0);
  return ioctl (fd, FS_IOC_GETFLAGS, &flags) < 0 ? -1 : flags;
}

/* Spare container dirs are spread over the block groups (see store.c):
   spare/ carries FS_TOPDIR_FL from the start, and a cache made without it
   gets it at the next refill. */
static void
test_store_spreads_container_dirs (void **state)
{
  char *dir = make_tmpdir ();
  cleanup_free char *cache = xasprintf ("%s/cache", dir);
  cleanup_close int cachefd = -1;
  cleanup_close int sparefd = -1;
  int flags;

  (void)state;
  cachefd = jr_ec_store_open (cache, NULL);
  assert_true (cachefd >= 0);
  if (dir_flags_at (cachefd, "spare") < 0)
    {
      jr_rm_rf_at (AT_FDCWD, dir, NULL);
      free (dir);
      skip ();
    }
  assert_true (dir_flags_at (cachefd, "spare") & FS_TOPDIR_FL);
  assert_false (dir_flags_at (cachefd, "containers") & FS_TOPDIR_FL);
  assert_false (dir_flags_at (cachefd, "layers") & FS_TOPDIR_FL);

  /* as an older jitrun left it */
  sparefd = openat (cachefd, "spare", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  flags = dir_flags_at (cachefd, "spare") & ~FS_TOPDIR_FL;
  assert_int_equal (ioctl (sparefd, FS_IOC_SETFLAGS, &flags), 0);
  assert_false (dir_flags_at (cachefd, "spare") & FS_TOPDIR_FL);
  assert_int_equal (jr_ec_spares_refill (cachefd, 1, NULL), 0);
  assert_true (dir_flags_at (cachefd, "spare") & FS_TOPDIR_FL);

  assert_int_equal (jr_rm_rf_at (AT_FDCWD, dir, NULL), 0);
  free (dir);
}

/* Spare container dirs: made ahead, taken with one rename, and a deleted
   container that wrote nothing becomes one again. */
/* A container whose state dir is gone (the host rebooted, /run was wiped)
   pins its layer no more, and gc removes its dir; one that may still
   exist, or of which too little is known, keeps both. */
static void
test_gone_containers (void **state)
{
  char *dir = make_tmpdir ();
  cleanup_free char *cache = xasprintf ("%s/cache", dir);
  cleanup_free char *root = xasprintf ("%s/state", dir);
  cleanup_free char *c1_state = xasprintf ("%s/c1", root);
  cleanup_free char *reg = NULL;
  const char *key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  char tag[JR_EC_ROOT_TAG_LEN + 1], tag2[JR_EC_ROOT_TAG_LEN + 1], marker[128];
  ssize_t len;
  int cachefd, cfd;

  (void)state;
  cachefd = jr_ec_store_open (cache, NULL);
  assert_true (cachefd >= 0);
  assert_true (jr_ec_state_root_register (cachefd, "state", tag, NULL) < 0);
  assert_int_equal (jr_ec_state_root_register (cachefd, root, tag, NULL), 0);
  assert_int_equal (strlen (tag), JR_EC_ROOT_TAG_LEN);
  /* again: the same tag, the same file */
  assert_int_equal (jr_ec_state_root_register (cachefd, root, tag2, NULL), 0);
  assert_string_equal (tag, tag2);
  reg = xasprintf ("roots/%s", tag);
  assert_int_equal (count_entries (cachefd, "roots"), 1);

  /* c1 (state dir present), c2 (never had one), c3 (no root known) */
  assert_int_equal (jr_mkdir_p_at (AT_FDCWD, c1_state, 0700, NULL), 0);
  cfd = jr_ec_container_dir_create (cachefd, "c1", key, tag, NULL);
  assert_true (cfd >= 0);
  /* the marker fits in an ext4 inode: a key prefix and the root's tag */
  len = fgetxattr (cfd, JR_EC_IN_USE_XATTR, marker, sizeof (marker) - 1);
  assert_int_equal (len, 32 + 1 + JR_EC_ROOT_TAG_LEN);
  marker[len] = '\0';
  assert_true (strncmp (marker, key, 32) == 0);
  assert_string_equal (marker + 33, tag);
  close (cfd);
  cfd = jr_ec_container_dir_create (cachefd, "c2", "k2", tag, NULL);
  assert_true (cfd >= 0);
  close (cfd);
  cfd = jr_ec_container_dir_create (cachefd, "c3", "k3", NULL, NULL);
  assert_true (cfd >= 0);
  close (cfd);
  assert_true (jr_ec_store_in_use (cachefd, key));
  assert_false (
      jr_ec_store_in_use (cachefd, "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  assert_false (jr_ec_store_in_use (cachefd, "k2"));
  assert_true (jr_ec_store_in_use (cachefd, "k3"));
  assert_int_equal (jr_ec_containers_clean_gone (cachefd), 1);
  assert_true (faccessat (cachefd, "containers/c2", F_OK, 0) < 0);
  assert_int_equal (count_entries (cachefd, "containers"), 2);

  /* c1's state dir goes: so do its use and its dir */
  assert_int_equal (rmdir (c1_state), 0);
  assert_false (jr_ec_store_in_use (cachefd, key));
  /* but not while the root itself is out of sight (a gc in a pod that
     sees the cache, not /run) */
  {
    cleanup_free char *away = xasprintf ("%s/state-away", dir);
    assert_int_equal (rename (root, away), 0);
    assert_true (jr_ec_store_in_use (cachefd, key));
    assert_int_equal (jr_ec_containers_clean_gone (cachefd), 0);
    assert_int_equal (rename (away, root), 0);
  }
  /* unless roots/ says something else than the tag's root */
  write_at (cachefd, reg, "/elsewhere");
  assert_true (jr_ec_store_in_use (cachefd, key));
  assert_int_equal (jr_ec_containers_clean_gone (cachefd), 0);
  write_at (cachefd, reg, root);
  /* an older jitrun's marker, the whole key: kept whatever happens */
  assert_int_equal (mkdirat (cachefd, "containers/old", 0700), 0);
  {
    cleanup_close int ofd = openat (cachefd, "containers/old", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal (fsetxattr (ofd, JR_EC_IN_USE_XATTR, "k9", 2, 0), 0);
  }
  assert_true (jr_ec_store_in_use (cachefd, "k9"));
  assert_int_equal (jr_ec_containers_clean_gone (cachefd), 1);
  assert_int_equal (count_entries (cachefd, "containers"), 2);
  assert_true (faccessat (cachefd, "containers/c1", F_OK, 0) < 0);
  assert_true (jr_ec_store_in_use (cachefd, "k9"));
  assert_true (jr_ec_store_in_use (cachefd, "k3"));
  close (cachefd);
  rm_tmpdir (dir);
}

static void
test_spare_container_dirs (void **state)
{
  char *dir = make_tmpdir ();
  cleanup_free char *cache = xasprintf ("%s/cache", dir);
  char marker[16];
  ssize_t len;
  int cachefd, cfd;

  (void)state;
  cachefd = jr_ec_store_open (cache, NULL);
  assert_true (cachefd >= 0);
  assert_int_equal (jr_ec_spares_refill (cachefd, 3, NULL), 0);
  assert_int_equal (count_entries (cachefd, "spare"), 3);
  /* a stale half-made spare is cleaned, the pool is topped up, not grown */
  assert_int_equal (mkdirat (cachefd, "spare/.new.s.dead", 0700), 0);
  assert_int_equal (jr_ec_spares_refill (cachefd, 3, NULL), 0);
  assert_int_equal (count_entries (cachefd, "spare"), 3);
  assert_true (faccessat (cachefd, "spare/.new.s.dead", F_OK, 0) < 0);

  /* a create takes one: its dirs and the in-use marker are there */
  cfd = jr_ec_container_dir_create (cachefd, "c1", "k1", NULL, NULL);
  assert_true (cfd >= 0);
  assert_int_equal (count_entries (cachefd, "spare"), 2);
  assert_int_equal (faccessat (cfd, "upper", F_OK, 0), 0);
  assert_int_equal (faccessat (cfd, "work", F_OK, 0), 0);
  len = fgetxattr (cfd, JR_EC_IN_USE_XATTR, marker, sizeof (marker) - 1);
  assert_int_equal (len, 2);
  marker[len] = '\0';
  assert_string_equal (marker, "k1");
  assert_true (jr_ec_store_in_use (cachefd, "k1"));
  assert_false (jr_ec_store_in_use (cachefd, "k2"));
  /* what a volatile overlay leaves in its workdir */
  assert_int_equal (jr_mkdir_p_at (cfd, "work/work/incompat/volatile", 0700, NULL), 0);
  write_at (cfd, "work/work/incompat/volatile/dirty", "");
  close (cfd);
  /* c2 wrote something, c3 changed its root's mode: not spares again */
  cfd = jr_ec_container_dir_create (cachefd, "c2", "k1", NULL, NULL);
  assert_true (cfd >= 0);
  write_at (cfd, "upper/file", "data");
  close (cfd);
  cfd = jr_ec_container_dir_create (cachefd, "c3", "k1", NULL, NULL);
  assert_true (cfd >= 0);
  assert_int_equal (fchmodat (cfd, "upper", 0700, 0), 0);
  close (cfd);
  assert_int_equal (count_entries (cachefd, "spare"), 0);
  /* a container of the same id that was never deleted: replaced */
  cfd = jr_ec_container_dir_create (cachefd, "c3", "k2", NULL, NULL);
  assert_true (cfd >= 0);
  assert_int_equal (faccessat (cfd, "upper", F_OK, 0), 0);
  assert_int_equal (count_entries (cfd, "upper"), 0);
  assert_true (jr_ec_store_in_use (cachefd, "k2"));
  close (cfd);
  assert_int_equal (fchmodat (cachefd, "containers/c3/upper", 0700, 0), 0);
  /* a container of an older jitrun: its marker is a `layer` file */
  assert_int_equal (mkdirat (cachefd, "containers/old", 0700), 0);
  write_at (cachefd, "containers/old/layer", "k9");
  assert_true (jr_ec_store_in_use (cachefd, "k9"));
  assert_int_equal (jr_ec_container_dir_remove (cachefd, "old", NULL), 0);
  assert_false (jr_ec_store_in_use (cachefd, "k9"));

  assert_int_equal (jr_ec_container_dir_trash (cachefd, "c1", NULL), 1);
  assert_int_equal (jr_ec_container_dir_trash (cachefd, "c2", NULL), 1);
  assert_int_equal (jr_ec_container_dir_trash (cachefd, "c3", NULL), 1);
  assert_false (jr_ec_store_in_use (cachefd, "k1"));
  assert_int_equal (jr_ec_trash_empty (cachefd, NULL), 0);
  assert_int_equal (count_entries (cachefd, "trash"), 0);
  /* c1 came back as a spare, without the overlay's leftovers and marker */
  assert_int_equal (count_entries (cachefd, "spare"), 1);
  {
    cleanup_close int sfd = openat (cachefd, "spare", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char **names = NULL;
    size_t n = 0, i;
    assert_int_equal (jr_list_dir_sorted (sfd, &names, &n, NULL), 0);
    for (i = 0; i < n; i++)
      {
        cleanup_free char *work = xasprintf ("%s/work", names[i]);
        cleanup_close int spfd = openat (sfd, names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char v[8];
        assert_int_equal (count_entries (sfd, work), 0);
        assert_true (spfd >= 0);
        assert_true (fgetxattr (spfd, JR_EC_IN_USE_XATTR, v, sizeof (v)) < 0);
      }
    jr_strv_free (names);
  }
  close (cachefd);
  rm_tmpdir (dir);
}

/* ---- overlays as detached mounts ---- */

/* In a child with a private mount namespace: make an overlay of dir's
   lower/ with upper/ and work/, attach it on mnt/, write through it.  The
   fds are opened in the namespace that makes the overlay (the kernel
   refuses layers from another one). */
static int
overlay_child (const char *dir)
{
  cleanup_close int dfd = -1;
  cleanup_close int lowerfd = -1;
  cleanup_close int upperfd = -1;
  cleanup_close int workfd = -1;
  cleanup_close int mntfd = -1;
  cleanup_free char *mnt = xasprintf ("%s/mnt", dir);
  cleanup_free char *content = NULL;
  jr_error_t err = NULL;

  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return 2;
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  lowerfd = openat (dfd, "lower", O_PATH | O_DIRECTORY | O_CLOEXEC);
  upperfd = openat (dfd, "upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
  workfd = openat (dfd, "work", O_PATH | O_DIRECTORY | O_CLOEXEC);
  mntfd = jr_ec_overlay_make (&lowerfd, 1, upperfd, workfd, "volatile,index=off,metacopy=off", &err);
  if (mntfd < 0 || jr_ec_mount_attach (mntfd, mnt, &err) < 0)
    {
      fprintf (stderr, "%s\n", err ? err->msg : "?");
      return 3;
    }
  if (jr_read_file_at (dfd, "mnt/a", &content, NULL, NULL) < 0 || strcmp (content, "from the lower") != 0)
    return 4;
  write_at (dfd, "mnt/b", "written");
  return 0;
}

static void
test_overlay_make (void **state)
{
  char *dir = make_tmpdir ();
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int lowerfd = -1;
  jr_error_t err = NULL;
  int status = 0;
  pid_t pid;

  (void)state;
  if (geteuid () != 0)
    {
      rm_tmpdir (dir);
      skip ();
    }
  write_at (dfd, "lower/a", "from the lower");
  assert_int_equal (mkdirat (dfd, "upper", 0755), 0);
  assert_int_equal (mkdirat (dfd, "work", 0700), 0);
  assert_int_equal (mkdirat (dfd, "mnt", 0755), 0);

  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (overlay_child (dir));
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
  /* the write went to the upper; the overlay went with the child's namespace */
  assert_int_equal (faccessat (dfd, "upper/b", F_OK, 0), 0);
  assert_true (faccessat (dfd, "mnt/a", F_OK, 0) < 0);

  /* a refused option: the error names it, with the kernel's own words */
  lowerfd = openat (dfd, "lower", O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (jr_ec_overlay_make (&lowerfd, 1, -1, -1, "no_such_option=1", &err) < 0);
  assert_non_null (err);
  assert_non_null (strstr (err->msg, "no_such_option"));
  jr_error_free (&err);
  rm_tmpdir (dir);
}

/* ---- commit / verify ---- */

static void
test_commit_verify (void **state)
{
  char *dir = make_tmpdir ();
  cleanup_free char *cache = xasprintf ("%s/cache", dir);
  cleanup_free char *name = NULL;
  cleanup_free char *layer = NULL;
  cleanup_free char *problem = NULL;
  struct jr_ec_config cfg = { 0 };
  struct jr_ec_key key = { 0 };
  char digest1[JR_EC_DIGEST_LEN], digest2[JR_EC_DIGEST_LEN];
  int64_t size, files;
  jr_error_t err = NULL;
  int cachefd, layerfd;

  (void)state;
  cachefd = jr_ec_store_open (cache, NULL);
  assert_true (cachefd >= 0);
  assert_int_equal (jr_ec_staging_create (cachefd, "0123abcd", &name, NULL), 0);
  layer = xasprintf ("staging/%s/layer", name);
  layerfd = openat (cachefd, layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (layerfd >= 0);
  write_at (layerfd, "app/node_modules/x/index.js", "module.exports = 1;\n");
  write_at (layerfd, "app/node_modules/y/index.js", "module.exports = 2;\n");
  assert_int_equal (symlinkat ("x/index.js", layerfd, "app/node_modules/link"), 0);
  /* a whiteout (deleted base file) and an opaque dir (replaced base dir) */
  if (mknodat (layerfd, "app/deleted", S_IFCHR | 0, makedev (0, 0)) < 0)
    skip ();
  assert_int_equal (mkdirat (layerfd, "app/replaced", 0755), 0);

  assert_int_equal (jr_ec_digest_tree (layerfd, digest1, &size, &files, &err), 0);
  assert_int_equal (size, 40);
  assert_int_equal (files, 9);
  assert_true (jr_has_prefix (digest1, "sha256:"));
  /* the opaque flag is part of the content */
  {
    char p[64];
    snprintf (p, sizeof (p), "/proc/self/fd/%d/app/replaced", layerfd);
    if (setxattr (p, "trusted.overlay.opaque", "y", 1, 0) == 0)
      {
        assert_int_equal (jr_ec_digest_tree (layerfd, digest2, &size, &files, &err), 0);
        assert_string_not_equal (digest1, digest2);
      }
  }

  cfg.app = (char *)"shop";
  cfg.version = (char *)"1.0.0";
  key.version_key = (char *)"1.0.0";
  key.os_id = (char *)"debian";
  key.os_version = (char *)"12";
  key.arch = (char *)"amd64";
  key.variant = (char *)"";
  strcpy (key.key, "0123abcd");
  if (jr_ec_commit (cachefd, name, &cfg, &key, 1.5, &err) < 0)
    fail_msg ("commit: %s", err->msg);
  assert_true (jr_ec_store_has (cachefd, "0123abcd"));
  {
    cleanup_free char *s = NULL;
    assert_true (faccessat (cachefd, "layers/0123abcd/work", F_OK, 0) < 0);
    assert_int_equal (faccessat (cachefd, "layers/0123abcd/layer/app/node_modules/x/index.js", F_OK, 0), 0);
    /* the staging dir is gone: the rename was the commit */
    s = xasprintf ("staging/%s", name);
    assert_true (faccessat (cachefd, s, F_OK, 0) < 0);
  }
  /* committed unsealed: usable, no digest until the seal */
  assert_int_equal (jr_ec_store_state (cachefd, "0123abcd"), JR_EC_UNSEALED);
  assert_int_equal (jr_ec_verify (cachefd, "0123abcd", &problem, &err), 0);
  assert_non_null (strstr (problem, "no digest"));
  free (problem);
  problem = NULL;
  /* a marker of another boot: torn, not usable, not sealable */
  {
    cleanup_free char *mine = NULL;
    size_t len = 0;
    assert_int_equal (jr_read_file_at (cachefd, "layers/0123abcd/unsealed", &mine, &len, &err), 0);
    write_at (cachefd, "layers/0123abcd/unsealed", "00000000-0000-4000-8000-000000000000\n");
    assert_int_equal (jr_ec_store_state (cachefd, "0123abcd"), JR_EC_TORN);
    assert_false (jr_ec_store_has (cachefd, "0123abcd"));
    assert_true (jr_ec_seal (cachefd, "0123abcd", &err) < 0);
    assert_non_null (strstr (err->msg, "restarted"));
    jr_error_free (&err);
    write_at (cachefd, "layers/0123abcd/unsealed", mine);
  }
  assert_int_equal (jr_ec_seal (cachefd, "0123abcd", &err), 1);
  assert_int_equal (jr_ec_store_state (cachefd, "0123abcd"), JR_EC_SEALED);
  assert_int_equal (jr_ec_seal (cachefd, "0123abcd", &err), 0);
  assert_int_equal (jr_ec_verify (cachefd, "0123abcd", &problem, &err), 1);

  /* tamper with one byte of one file */
  write_at (cachefd, "layers/0123abcd/layer/app/node_modules/y/index.js", "module.exports = 3;\n");
  assert_int_equal (jr_ec_verify (cachefd, "0123abcd", &problem, &err), 0);
  assert_non_null (strstr (problem, "digest"));
  free (problem);
  problem = NULL;
  write_at (cachefd, "layers/0123abcd/layer/app/node_modules/y/index.js", "module.exports = 2;\n");
  assert_int_equal (jr_ec_verify (cachefd, "0123abcd", &problem, &err), 1);
  /* a mode change is tampering too */
  assert_int_equal (fchmodat (cachefd, "layers/0123abcd/layer/app/node_modules/y/index.js", 0755, 0), 0);
  assert_int_equal (jr_ec_verify (cachefd, "0123abcd", &problem, &err), 0);

  close (layerfd);
  close (cachefd);
  rm_tmpdir (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_config_defaults, setup, teardown),
    cmocka_unit_test_setup_teardown (test_config_errors, setup, teardown),
    cmocka_unit_test_setup_teardown (test_wanted, setup, teardown),
    cmocka_unit_test (test_cache_dir),
    cmocka_unit_test (test_semver),
    cmocka_unit_test (test_arch),
    cmocka_unit_test (test_os_release),
    cmocka_unit_test (test_sha256),
    cmocka_unit_test_setup_teardown (test_key_stable_and_hex, setup, teardown),
    cmocka_unit_test_setup_teardown (test_key_version, setup, teardown),
    cmocka_unit_test_setup_teardown (test_key_inputs, setup, teardown),
    cmocka_unit_test (test_store_list_gc),
    cmocka_unit_test (test_staging_clean),
    cmocka_unit_test (test_container_dir_trash),
    cmocka_unit_test (test_spare_container_dirs),
    cmocka_unit_test (test_gone_containers),
    cmocka_unit_test (test_store_spreads_container_dirs),
    cmocka_unit_test (test_overlay_make),
    cmocka_unit_test (test_commit_verify),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
