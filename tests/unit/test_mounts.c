/* Unit tests for mount option parsing (mounts.h). */
#define _GNU_SOURCE
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mount.h>

#include "libjitrun/mounts.h"

/* Parse a NULL-terminated list of options. */
static struct jr_mount_options
parse (const char *const *opts)
{
  struct jr_mount_options o;
  jr_error_t err = NULL;
  size_t n = 0;

  while (opts[n])
    n++;
  assert_int_equal (jr_mount_options_parse ((char *const *)opts, n, &o, &err), 0);
  assert_null (err);
  return o;
}

static void
test_empty (void **state)
{
  const char *opts[] = { NULL };
  struct jr_mount_options o = parse (opts);

  (void)state;
  assert_int_equal (o.flags, 0);
  assert_int_equal (o.clear_flags, 0);
  assert_int_equal (o.propagation, 0);
  assert_false (o.bind);
  assert_false (o.recursive);
  assert_false (o.remount_ro);
  assert_false (o.idmap);
  assert_false (o.tmpcopyup);
  assert_int_equal (o.attr_set, 0);
  assert_int_equal (o.attr_clr, 0);
  assert_null (o.data);
  jr_mount_options_free (&o);
}

/* The default `runc spec` mounts. */
static void
test_default_spec_dev (void **state)
{
  const char *opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  struct jr_mount_options o = parse (opts);

  (void)state;
  assert_int_equal (o.flags, MS_NOSUID | MS_STRICTATIME);
  assert_string_equal (o.data, "mode=755,size=65536k");
  jr_mount_options_free (&o);
  assert_null (o.data);
}

static void
test_default_spec_devpts (void **state)
{
  const char *opts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  struct jr_mount_options o = parse (opts);

  (void)state;
  assert_int_equal (o.flags, MS_NOSUID | MS_NOEXEC);
  assert_string_equal (o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  jr_mount_options_free (&o);
}

static void
test_default_spec_cgroup (void **state)
{
  const char *opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
  struct jr_mount_options o = parse (opts);

  (void)state;
  assert_int_equal (o.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);
  assert_null (o.data);
  jr_mount_options_free (&o);
}

/* Every plain flag and its inverse. */
static void
test_each_flag_pair (void **state)
{
  static const struct
  {
    const char *set, *clear;
    unsigned long flag;
  } pairs[] = {
    { "ro", "rw", MS_RDONLY },
    { "nosuid", "suid", MS_NOSUID },
    { "nodev", "dev", MS_NODEV },
    { "noexec", "exec", MS_NOEXEC },
    { "sync", "async", MS_SYNCHRONOUS },
    { "mand", "nomand", MS_MANDLOCK },
    { "noatime", "atime", MS_NOATIME },
    { "nodiratime", "diratime", MS_NODIRATIME },
    { "relatime", "norelatime", MS_RELATIME },
    { "strictatime", "nostrictatime", MS_STRICTATIME },
    { "lazytime", "nolazytime", MS_LAZYTIME },
    { "silent", "loud", MS_SILENT },
    { "iversion", "noiversion", MS_I_VERSION },
    { "nosymfollow", "symfollow", MS_NOSYMFOLLOW },
  };

  (void)state;
  for (size_t i = 0; i < sizeof (pairs) / sizeof (pairs[0]); i++)
    {
      const char *a[] = { pairs[i].set, NULL };
      const char *b[] = { pairs[i].clear, NULL };
      struct jr_mount_options o = parse (a);

      assert_int_equal (o.flags, pairs[i].flag);
      assert_int_equal (o.clear_flags, 0);
      assert_null (o.data);
      jr_mount_options_free (&o);

      o = parse (b);
      assert_int_equal (o.flags, 0);
      assert_int_equal (o.clear_flags, pairs[i].flag);
      assert_null (o.data);
      jr_mount_options_free (&o);
    }
}

static void
test_single_flags (void **state)
{
  const char *opts[] = { "dirsync", "remount", NULL };
  struct jr_mount_options o = parse (opts);

  (void)state;
  assert_int_equal (o.flags, MS_DIRSYNC | MS_REMOUNT);
  jr_mount_options_free (&o);
}

/* Later options override earlier ones, as with mount(8). */
static void
test_last_wins (void **state)
{
  const char *a[] = { "ro", "rw", NULL };
  const char *b[] = { "rw", "ro", NULL };
  const char *c[] = { "nosuid", "suid", "nosuid", NULL };
  struct jr_mount_options o;

  (void)state;
  o = parse (a);
  assert_int_equal (o.flags & MS_RDONLY, 0);
  assert_int_equal (o.clear_flags, MS_RDONLY);
  jr_mount_options_free (&o);
  o = parse (b);
  assert_int_equal (o.flags, MS_RDONLY);
  assert_int_equal (o.clear_flags, 0);
  jr_mount_options_free (&o);
  o = parse (c);
  assert_int_equal (o.flags, MS_NOSUID);
  assert_int_equal (o.clear_flags, 0);
  jr_mount_options_free (&o);
}

static void
test_bind (void **state)
{
  const char *a[] = { "bind", NULL };
  const char *b[] = { "rbind", "ro", NULL };
  const char *c[] = { "ro", NULL };
  struct jr_mount_options o;

  (void)state;
  o = parse (a);
  assert_true (o.bind);
  assert_false (o.recursive);
  assert_false (o.remount_ro);
  /* bind is not an MS_ flag in the struct: mount_all adds MS_BIND itself */
  assert_int_equal (o.flags, 0);
  jr_mount_options_free (&o);

  o = parse (b);
  assert_true (o.bind);
  assert_true (o.recursive);
  assert_true (o.remount_ro);
  assert_int_equal (o.flags, MS_RDONLY);
  jr_mount_options_free (&o);

  /* ro without bind: the flag goes to mount(2) directly, no remount */
  o = parse (c);
  assert_false (o.bind);
  assert_false (o.remount_ro);
  jr_mount_options_free (&o);
}

static void
test_propagation (void **state)
{
  static const struct
  {
    const char *name;
    unsigned long value;
  } cases[] = {
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };

  (void)state;
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      const char *opts[] = { "bind", cases[i].name, NULL };
      struct jr_mount_options o = parse (opts);

      assert_int_equal (o.propagation, cases[i].value);
      /* propagation is applied separately, never mixed into the mount flags */
      assert_int_equal (o.flags, 0);
      assert_null (o.data);
      jr_mount_options_free (&o);
    }
}

static void
test_recursive_attrs (void **state)
{
  static const struct
  {
    const char *set, *clear;
    unsigned int attr;
  } pairs[] = {
    { "rro", "rrw", MOUNT_ATTR_RDONLY },
    { "rnosuid", "rsuid", MOUNT_ATTR_NOSUID },
    { "rnodev", "rdev", MOUNT_ATTR_NODEV },
    { "rnoexec", "rexec", MOUNT_ATTR_NOEXEC },
    { "rnodiratime", "rdiratime", MOUNT_ATTR_NODIRATIME },
    { "rnosymfollow", "rsymfollow", MOUNT_ATTR_NOSYMFOLLOW },
  };

  (void)state;
  for (size_t i = 0; i < sizeof (pairs) / sizeof (pairs[0]); i++)
    {
      const char *a[] = { pairs[i].set, NULL };
      const char *b[] = { pairs[i].set, pairs[i].clear, NULL };
      struct jr_mount_options o = parse (a);

      assert_int_equal (o.attr_set, pairs[i].attr);
      assert_int_equal (o.attr_clr, 0);
      assert_int_equal (o.flags, 0);
      assert_null (o.data);
      jr_mount_options_free (&o);

      o = parse (b);
      assert_int_equal (o.attr_set, 0);
      assert_int_equal (o.attr_clr, pairs[i].attr);
      jr_mount_options_free (&o);
    }
}

/* The atime mode is a field: every r*atime option must clear the field. */
static void
test_recursive_atime (void **state)
{
  static const struct
  {
    const char *name;
    unsigned int mode;
  } cases[] = {
    { "rnoatime", MOUNT_ATTR_NOATIME },     { "rstrictatime", MOUNT_ATTR_STRICTATIME },
    { "rrelatime", MOUNT_ATTR_RELATIME },   { "ratime", MOUNT_ATTR_RELATIME },
    { "rnorelatime", MOUNT_ATTR_RELATIME }, { "rnostrictatime", MOUNT_ATTR_RELATIME },
  };
  const char *combo[] = { "rnoatime", "rstrictatime", "rnosuid", NULL };
  struct jr_mount_options o;

  (void)state;
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      const char *opts[] = { cases[i].name, NULL };
      o = parse (opts);
      assert_int_equal (o.attr_clr, MOUNT_ATTR__ATIME);
      assert_int_equal (o.attr_set, cases[i].mode);
      jr_mount_options_free (&o);
    }
  /* the last atime mode replaces the previous one, other attrs stay */
  o = parse (combo);
  assert_int_equal (o.attr_set, MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_NOSUID);
  assert_int_equal (o.attr_clr, MOUNT_ATTR__ATIME);
  jr_mount_options_free (&o);
}

static void
test_special (void **state)
{
  const char *a[] = { "tmpcopyup", NULL };
  const char *b[] = { "idmap", NULL };
  const char *c[] = { "ridmap", NULL };
  struct jr_mount_options o;

  (void)state;
  o = parse (a);
  assert_true (o.tmpcopyup);
  assert_false (o.idmap);
  assert_null (o.data);
  jr_mount_options_free (&o);
  o = parse (b);
  assert_true (o.idmap);
  assert_null (o.data);
  jr_mount_options_free (&o);
  o = parse (c);
  assert_true (o.idmap);
  jr_mount_options_free (&o);
}

/* Unknown options are filesystem data, in order; known ones never are. */
static void
test_data_passthrough (void **state)
{
  const char *opts[] = { "lowerdir=/a:/b", "ro",     "upperdir=/u", "workdir=/w", "",
                         "uid=1000",       "nosuid", "x-custom",    "size=1g",    NULL };
  const char *defaults[] = { "defaults", "size=1m", NULL };
  struct jr_mount_options o = parse (opts);

  (void)state;
  assert_string_equal (o.data, "lowerdir=/a:/b,upperdir=/u,workdir=/w,uid=1000,x-custom,size=1g");
  assert_int_equal (o.flags, MS_RDONLY | MS_NOSUID);
  jr_mount_options_free (&o);

  /* fstab's "defaults" means nothing here and tmpfs would reject it */
  o = parse (defaults);
  assert_string_equal (o.data, "size=1m");
  jr_mount_options_free (&o);
}

/* Options are matched exactly: prefixes or case variants are data. */
static void
test_exact_match (void **state)
{
  const char *opts[] = { "RO", "bindx", "r", "nosuid=1", NULL };
  struct jr_mount_options o = parse (opts);

  (void)state;
  assert_int_equal (o.flags, 0);
  assert_false (o.bind);
  assert_string_equal (o.data, "RO,bindx,r,nosuid=1");
  jr_mount_options_free (&o);
}

/* Parsing into a used struct resets it. */
static void
test_reset (void **state)
{
  const char *a[] = { "ro", "rbind", "size=1", "rshared", NULL };
  const char *b[] = { "nodev", NULL };
  struct jr_mount_options o = parse (a);

  (void)state;
  jr_mount_options_free (&o);
  o = parse (b);
  assert_int_equal (o.flags, MS_NODEV);
  assert_false (o.bind);
  assert_int_equal (o.propagation, 0);
  assert_null (o.data);
  jr_mount_options_free (&o);
  jr_mount_options_free (NULL); /* must not crash */
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_empty),
    cmocka_unit_test (test_default_spec_dev),
    cmocka_unit_test (test_default_spec_devpts),
    cmocka_unit_test (test_default_spec_cgroup),
    cmocka_unit_test (test_each_flag_pair),
    cmocka_unit_test (test_single_flags),
    cmocka_unit_test (test_last_wins),
    cmocka_unit_test (test_bind),
    cmocka_unit_test (test_propagation),
    cmocka_unit_test (test_recursive_attrs),
    cmocka_unit_test (test_recursive_atime),
    cmocka_unit_test (test_special),
    cmocka_unit_test (test_data_passthrough),
    cmocka_unit_test (test_exact_match),
    cmocka_unit_test (test_reset),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
