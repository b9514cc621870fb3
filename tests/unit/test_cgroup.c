/* Unit tests for the pure parts of src/libjitrun/cgroup*.c */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "libjitrun/cgroup_internal.h"
#include "libjitrun/utils.h"

static char *
resolve_ok (const char *id, const char *cg_path, bool systemd, const char *own)
{
  char *path = NULL;
  jr_error_t err = NULL;
  int r = jr_cgroup_resolve_path_own (id, cg_path, systemd, own, &path, &err);
  if (r < 0)
    fail_msg ("resolve %s: %s", cg_path ? cg_path : "(null)", err->msg);
  return path;
}

static void
resolve_fails (const char *id, const char *cg_path, bool systemd, const char *own, const char *msg_part)
{
  char *path = NULL;
  jr_error_t err = NULL;
  assert_true (jr_cgroup_resolve_path_own (id, cg_path, systemd, own, &path, &err) < 0);
  assert_null (path);
  assert_non_null (err);
  assert_non_null (strstr (err->msg, msg_part));
  jr_error_free (&err);
}

static void
test_resolve_default (void **state)
{
  (void)state;
  char *p = resolve_ok ("abc", NULL, false, "/x");
  assert_string_equal (p, "/jitrun/abc");
  free (p);
  p = resolve_ok ("abc", "", true, "/x");
  assert_string_equal (p, "/jitrun/abc");
  free (p);
  resolve_fails ("../evil", NULL, false, "/", "invalid container id");
}

static void
test_resolve_absolute_relative (void **state)
{
  (void)state;
  char *p = resolve_ok ("id", "/a/b", false, "/own");
  assert_string_equal (p, "/a/b");
  free (p);
  p = resolve_ok ("id", "//a//./b/", false, "/own");
  assert_string_equal (p, "/a/b");
  free (p);
  p = resolve_ok ("id", "a/b", false, "/process_api/123");
  assert_string_equal (p, "/process_api/123/a/b");
  free (p);
  p = resolve_ok ("id", "a", false, "/");
  assert_string_equal (p, "/a");
  free (p);
  resolve_fails ("id", "/a/../b", false, "/", "..");
  resolve_fails ("id", "../b", false, "/own", "..");
}

static void
test_resolve_systemd (void **state)
{
  (void)state;
  char *p = resolve_ok ("id", "machine-test.slice:libpod:abc", true, "/");
  assert_string_equal (p, "/machine.slice/machine-test.slice/libpod-abc.scope");
  free (p);
  p = resolve_ok ("id", "system.slice:docker:1234", true, "/");
  assert_string_equal (p, "/system.slice/docker-1234.scope");
  free (p);
  /* empty slice defaults to system.slice */
  p = resolve_ok ("id", ":cri:x", true, "/");
  assert_string_equal (p, "/system.slice/cri-x.scope");
  free (p);
  /* the root slice */
  p = resolve_ok ("id", "-.slice:p:n", true, "/");
  assert_string_equal (p, "/p-n.scope");
  free (p);
  /* no prefix */
  p = resolve_ok ("id", "a.slice::n", true, "/");
  assert_string_equal (p, "/a.slice/n.scope");
  free (p);
  /* a name that is itself a slice */
  p = resolve_ok ("id", "a.slice:p:a-b.slice", true, "/");
  assert_string_equal (p, "/a.slice/a-b.slice");
  free (p);
  resolve_fails ("id", "/abs/path", true, "/", "slice:prefix:name");
  resolve_fails ("id", "a.slice:p", true, "/", "slice:prefix:name");
  resolve_fails ("id", "bad:p:n", true, "/", "invalid systemd slice");
  resolve_fails ("id", "a--b.slice:p:n", true, "/", "invalid systemd slice");
  resolve_fails ("id", "a.slice:p:", true, "/", "invalid systemd cgroupsPath");
  /* without --systemd-cgroup the colon form is a plain relative path */
  p = resolve_ok ("id", "a.slice:p:n", false, "/own");
  assert_string_equal (p, "/own/a.slice:p:n");
  free (p);
}

static void
test_expand_slice (void **state)
{
  (void)state;
  char *out = NULL;
  jr_error_t err = NULL;
  assert_int_equal (jr_cgroup_expand_slice ("a-b-c.slice", &out, &err), 0);
  assert_string_equal (out, "/a.slice/a-b.slice/a-b-c.slice");
  free (out);
  assert_int_equal (jr_cgroup_expand_slice ("-.slice", &out, &err), 0);
  assert_string_equal (out, "");
  free (out);
  assert_true (jr_cgroup_expand_slice ("-a.slice", &out, &err) < 0);
  jr_error_free (&err);
  assert_true (jr_cgroup_expand_slice ("a-.slice", &out, &err) < 0);
  jr_error_free (&err);
  assert_true (jr_cgroup_expand_slice ("a/b.slice", &out, &err) < 0);
  jr_error_free (&err);
  assert_true (jr_cgroup_expand_slice (".slice", &out, &err) < 0);
  jr_error_free (&err);
}

static void
test_shares_to_weight (void **state)
{
  (void)state;
  assert_int_equal (jr_cgroup_shares_to_weight (0), 0);
  assert_int_equal (jr_cgroup_shares_to_weight (2), 1);
  assert_int_equal (jr_cgroup_shares_to_weight (1024), 39);
  assert_int_equal (jr_cgroup_shares_to_weight (262144), 10000);
  /* clamped */
  assert_int_equal (jr_cgroup_shares_to_weight (1), 1);
  assert_int_equal (jr_cgroup_shares_to_weight (1000000), 10000);
}

static void
test_swap_to_v2 (void **state)
{
  (void)state;
  int64_t out = 12345;
  jr_error_t err = NULL;

  assert_int_equal (jr_cgroup_swap_to_v2 (true, 100, 300, &out, &err), 0);
  assert_int_equal (out, 200);
  assert_int_equal (jr_cgroup_swap_to_v2 (true, 100, 100, &out, &err), 0);
  assert_int_equal (out, 0);
  assert_int_equal (jr_cgroup_swap_to_v2 (true, 100, -1, &out, &err), 0);
  assert_int_equal (out, -1);
  assert_int_equal (jr_cgroup_swap_to_v2 (false, 0, -1, &out, &err), 0);
  assert_int_equal (out, -1);
  assert_true (jr_cgroup_swap_to_v2 (true, 300, 100, &out, &err) < 0);
  assert_non_null (strstr (err->msg, "lower than memory.limit"));
  jr_error_free (&err);
  assert_true (jr_cgroup_swap_to_v2 (false, 0, 100, &out, &err) < 0);
  assert_non_null (strstr (err->msg, "needs a memory.limit"));
  jr_error_free (&err);
  assert_true (jr_cgroup_swap_to_v2 (true, -1, 100, &out, &err) < 0);
  jr_error_free (&err);
  assert_true (jr_cgroup_swap_to_v2 (true, 100, -5, &out, &err) < 0);
  jr_error_free (&err);
}

static void
test_io_max_lines (void **state)
{
  (void)state;
  struct oci_throttle_device rbps[] = { { 8, 0, 1048576 }, { 253, 1, 10 } };
  struct oci_throttle_device wbps[] = { { 8, 0, 2097152 } };
  struct oci_throttle_device riops[] = { { 253, 1, 0 } };
  struct oci_throttle_device wiops[] = { { 8, 16, 500 } };
  struct oci_block_io bio;
  memset (&bio, 0, sizeof bio);
  bio.throttle_read_bps_device = rbps;
  bio.throttle_read_bps_device_len = 2;
  bio.throttle_write_bps_device = wbps;
  bio.throttle_write_bps_device_len = 1;
  bio.throttle_read_iops_device = riops;
  bio.throttle_read_iops_device_len = 1;
  bio.throttle_write_iops_device = wiops;
  bio.throttle_write_iops_device_len = 1;

  char **lines = jr_cgroup_io_max_lines (&bio);
  assert_int_equal (jr_strv_len (lines), 3);
  assert_string_equal (lines[0], "8:0 rbps=1048576 wbps=2097152");
  assert_string_equal (lines[1], "253:1 rbps=10 riops=max");
  assert_string_equal (lines[2], "8:16 wiops=500");
  jr_strv_free (lines);

  lines = jr_cgroup_io_max_lines (NULL);
  assert_int_equal (jr_strv_len (lines), 0);
  jr_strv_free (lines);
}

static const char mountinfo_fixture[]
    = "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
      "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
      "33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime shared:5 - cgroup cgroup rw,cpuset\n"
      "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
      "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
      "41 30 0:38 /sub /sys/fs/cgroup/net\\040x rw - cgroup cgroup rw,net_cls,net_prio\n"
      "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void
test_parse_mountinfo (void **state)
{
  (void)state;
  struct jr_cgroup_v1_mount *m = NULL;
  size_t n = 0;
  jr_error_t err = NULL;

  assert_int_equal (jr_cgroup_parse_mountinfo (mountinfo_fixture, &m, &n, &err), 0);
  assert_int_equal (n, 6);
  assert_string_equal (m[0].mount_point, "/sys/fs/cgroup/cpu");
  assert_string_equal (m[0].controllers[0], "cpu");
  assert_null (m[0].controllers[1]);
  assert_string_equal (m[1].controllers[0], "cpuacct");
  /* optional fields before "-" are skipped */
  assert_string_equal (m[2].mount_point, "/sys/fs/cgroup/cpuset");
  assert_string_equal (m[2].controllers[0], "cpuset");
  assert_string_equal (m[4].mount_point, "/sys/fs/cgroup/systemd");
  assert_string_equal (m[4].controllers[0], "name=systemd");
  assert_null (m[4].controllers[1]);
  /* octal escapes, co-mounted controllers, non-root mount root */
  assert_string_equal (m[5].mount_point, "/sys/fs/cgroup/net x");
  assert_string_equal (m[5].root, "/sub");
  assert_string_equal (m[5].controllers[0], "net_cls");
  assert_string_equal (m[5].controllers[1], "net_prio");
  jr_cgroup_v1_mounts_free (m, n);

  assert_true (jr_cgroup_parse_mountinfo ("1 2 3\n", &m, &n, &err) < 0);
  assert_non_null (strstr (err->msg, "malformed mountinfo"));
  jr_error_free (&err);
}

static const char proc_cgroup_fixture[] = "9:name=systemd:/\n"
                                          "8:pids:/p\n"
                                          "2:cpu,cpuacct:/c\n"
                                          "4:memory:/process_api/1234\n"
                                          "0::/unified/x\n";

static void
test_parse_proc_cgroup (void **state)
{
  (void)state;
  char *p = NULL;
  jr_error_t err = NULL;

  assert_int_equal (jr_cgroup_parse_proc_cgroup (proc_cgroup_fixture, "cpuacct", &p, &err), 0);
  assert_string_equal (p, "/c");
  free (p);
  assert_int_equal (jr_cgroup_parse_proc_cgroup (proc_cgroup_fixture, NULL, &p, &err), 0);
  assert_string_equal (p, "/unified/x");
  free (p);
  assert_true (jr_cgroup_parse_proc_cgroup (proc_cgroup_fixture, "blkio", &p, &err) < 0);
  jr_error_free (&err);

  assert_int_equal (jr_cgroup_own_path_from_text (proc_cgroup_fixture, JR_CGROUP_HYBRID, &p, &err), 0);
  assert_string_equal (p, "/process_api/1234");
  free (p);
  assert_int_equal (jr_cgroup_own_path_from_text (proc_cgroup_fixture, JR_CGROUP_V2, &p, &err), 0);
  assert_string_equal (p, "/unified/x");
  free (p);
  /* no memory line: the first v1 line */
  assert_int_equal (
      jr_cgroup_own_path_from_text ("0::/u\n5:pids:/first\n3:cpu:/second\n", JR_CGROUP_V1, &p, &err), 0);
  assert_string_equal (p, "/first");
  free (p);
}

static void
test_device_rules (void **state)
{
  (void)state;
  struct oci_device_cgroup all = { .allow = false, .access = (char *)"rwm" };
  struct oci_device_cgroup null_dev = { .allow = true,
                                        .type = (char *)"c",
                                        .has_major = true,
                                        .major = 1,
                                        .has_minor = true,
                                        .minor = 3,
                                        .access = (char *)"rwm" };
  struct oci_device_cgroup any_minor
      = { .allow = true, .type = (char *)"b", .has_major = true, .major = 8, .access = (char *)"r" };
  char *s = jr_cgroup_device_rule (&all);
  assert_string_equal (s, "a *:* rwm");
  free (s);
  s = jr_cgroup_device_rule (&null_dev);
  assert_string_equal (s, "c 1:3 rwm");
  free (s);
  s = jr_cgroup_device_rule (&any_minor);
  assert_string_equal (s, "b 8:* r");
  free (s);
  assert_true (jr_cgroup_device_rule_is_all (&all));
  assert_false (jr_cgroup_device_rule_is_all (&null_dev));
  assert_false (jr_cgroup_device_rule_is_all (&any_minor));
}

static void
test_keyed_and_hugepage (void **state)
{
  (void)state;
  uint64_t v = 0;
  const char *text = "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n";
  assert_int_equal (jr_cgroup_keyed_u64 (text, "oom_kill", &v), 0);
  assert_int_equal (v, 7);
  assert_int_equal (jr_cgroup_keyed_u64 (text, "oom_kill_disable", &v), 0);
  assert_int_equal (v, 0);
  assert_true (jr_cgroup_keyed_u64 (text, "oom", &v) < 0);

  char *s = jr_cgroup_hugepage_dir_to_size ("hugepages-2048kB");
  assert_string_equal (s, "2MB");
  free (s);
  s = jr_cgroup_hugepage_dir_to_size ("hugepages-1048576kB");
  assert_string_equal (s, "1GB");
  free (s);
  s = jr_cgroup_hugepage_dir_to_size ("hugepages-64kB");
  assert_string_equal (s, "64KB");
  free (s);
  assert_null (jr_cgroup_hugepage_dir_to_size ("hugepages-x"));
}

static void
write_fixture (const char *dir, const char *file, const char *text)
{
  char *path = xasprintf ("%s/%s", dir, file);
  FILE *f = fopen (path, "w");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
  free (path);
}

/* The stats readers over fixture files: numbers, "max", keyed files,
   numeric arrays (all or nothing), and missing files as 0 / empty. */
static void
test_stat_helpers (void **state)
{
  (void)state;
  char dir[] = "/tmp/test_cgroup_statXXXXXX";
  assert_non_null (mkdtemp (dir));
  write_fixture (dir, "pids.current", "3\n");
  write_fixture (dir, "pids.max", "max\n");
  write_fixture (dir, "cpuacct.usage_percpu", "10 20 18446744073709551615 \n");
  write_fixture (dir, "bad_percpu", "10 x 30\n");
  write_fixture (dir, "cpu.stat", "usage_usec 5\nnr_periods 2\n");

  assert_int_equal (jr_cgroup_stat_u64 (dir, "pids.current"), 3);
  assert_int_equal (jr_cgroup_stat_u64 (dir, "missing"), 0);
  assert_int_equal (jr_cgroup_stat_u64 (NULL, "pids.current"), 0);
  assert_int_equal (jr_cgroup_stat_keyed (dir, "cpu.stat", "nr_periods"), 2);
  assert_int_equal (jr_cgroup_stat_keyed (dir, "cpu.stat", "absent"), 0);

  struct oci_jvalue *v = jr_cgroup_stat_pids (dir);
  char *json = oci_jvalue_to_json (v, false);
  assert_string_equal (json, "{\"current\":3,\"limit\":0}");
  free (json);
  oci_jvalue_free (v);

  v = jr_cgroup_stat_u64_array (dir, "cpuacct.usage_percpu");
  json = oci_jvalue_to_json (v, false);
  assert_string_equal (json, "[10,20,18446744073709551615]");
  free (json);
  oci_jvalue_free (v);
  v = jr_cgroup_stat_u64_array (dir, "bad_percpu");
  assert_int_equal (oci_jarray_len (v), 0);
  oci_jvalue_free (v);
  v = jr_cgroup_stat_u64_array (NULL, "x");
  assert_int_equal (oci_jarray_len (v), 0);
  oci_jvalue_free (v);

  static const struct jr_cgroup_stat_key keys[] = { { "usage_usec", "total", 1000 }, { "nope", "n", 1 } };
  v = jr_cgroup_stat_keyed_object (dir, "cpu.stat");
  jr_cgroup_stat_set_keys (v, "usage_usec 5\n", keys, 2);
  json = oci_jvalue_to_json (v, false);
  assert_string_equal (json, "{\"usage_usec\":5,\"nr_periods\":2,\"total\":5000}");
  free (json);
  oci_jvalue_free (v);

  const char *files[] = { "pids.current", "pids.max", "cpuacct.usage_percpu", "bad_percpu", "cpu.stat" };
  for (size_t i = 0; i < 5; i++)
    {
      char *path = xasprintf ("%s/%s", dir, files[i]);
      unlink (path);
      free (path);
    }
  rmdir (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_resolve_default),    cmocka_unit_test (test_resolve_absolute_relative),
    cmocka_unit_test (test_resolve_systemd),    cmocka_unit_test (test_expand_slice),
    cmocka_unit_test (test_shares_to_weight),   cmocka_unit_test (test_swap_to_v2),
    cmocka_unit_test (test_io_max_lines),       cmocka_unit_test (test_parse_mountinfo),
    cmocka_unit_test (test_parse_proc_cgroup),  cmocka_unit_test (test_device_rules),
    cmocka_unit_test (test_keyed_and_hugepage), cmocka_unit_test (test_stat_helpers),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
