/* Unit tests: signals, capabilities, sysctl, seccomp, labels. */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "libjitrun/capabilities.h"
#include "libjitrun/error.h"
#include "libjitrun/labels.h"
#include "libjitrun/seccomp.h"
#include "libjitrun/signals.h"
#include "libjitrun/sysctl.h"
#include "libjitrun/utils.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Run fn in a forked child and return its exit code (128+sig on a
   signal).  Children report failures through distinct exit codes because
   cmocka's asserts cannot cross the fork. */
static int
run_in_child (int (*fn) (void *), void *data)
{
  pid_t pid = fork ();
  int status;

  assert_true (pid >= 0);
  if (pid == 0)
    _exit (fn (data));
  assert_int_equal (waitpid (pid, &status, 0), pid);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

static void
assert_error_msg (jr_error_t err, const char *expected)
{
  assert_non_null (err);
  if (strcmp (err->msg, expected) != 0)
    fail_msg ("error message:\n  got      `%s`\n  expected `%s`", err->msg, expected);
}

/* ===================================================================== */
/* signals                                                                */
/* ===================================================================== */

static void
test_signal_parse_ok (void **state)
{
  static const struct
  {
    const char *text;
    int expected;
  } cases[] = {
    { "9", SIGKILL },    { "15", SIGTERM },        { "0", 0 },
    { "KILL", SIGKILL }, { "SIGKILL", SIGKILL },   { "sigkill", SIGKILL },
    { "kill", SIGKILL }, { "Term", SIGTERM },      { "SigHup", SIGHUP },
    { "USR1", SIGUSR1 }, { "SIGWINCH", SIGWINCH }, { "IOT", SIGABRT },
    { "CLD", SIGCHLD },  { "poll", SIGIO },        { "64", 64 },
  };
  size_t i;

  (void)state;
  for (i = 0; i < N_ELEMENTS (cases); i++)
    {
      cleanup_error jr_error_t err = NULL;
      int sig = -42;

      if (jr_signal_parse (cases[i].text, &sig, &err) != 0)
        fail_msg ("`%s`: %s", cases[i].text, err ? err->msg : "?");
      if (sig != cases[i].expected)
        fail_msg ("`%s`: got %d, expected %d", cases[i].text, sig, cases[i].expected);
    }
}

static void
test_signal_parse_rt (void **state)
{
  cleanup_error jr_error_t err = NULL;
  int sig = 0;

  (void)state;
  assert_int_equal (jr_signal_parse ("RTMIN", &sig, &err), 0);
  assert_int_equal (sig, SIGRTMIN);
  assert_int_equal (jr_signal_parse ("SIGRTMIN+3", &sig, &err), 0);
  assert_int_equal (sig, SIGRTMIN + 3);
  assert_int_equal (jr_signal_parse ("rtmin+0", &sig, &err), 0);
  assert_int_equal (sig, SIGRTMIN);
  assert_int_equal (jr_signal_parse ("RTMAX", &sig, &err), 0);
  assert_int_equal (sig, SIGRTMAX);
  assert_int_equal (jr_signal_parse ("sigrtmax-2", &sig, &err), 0);
  assert_int_equal (sig, SIGRTMAX - 2);
  assert_null (err);
}

static void
test_signal_parse_errors (void **state)
{
  static const struct
  {
    const char *text;
    const char *msg;
  } cases[] = {
    { "", "invalid signal: empty" },
    { "FOO", "unknown signal `FOO`" },
    { "SIGFOO", "unknown signal `SIGFOO`" },
    { "SIG", "unknown signal `SIG`" },
    { "9x", "invalid signal `9x`" },
    { "-1", "unknown signal `-1`" },
    { "65", "invalid signal `65`: out of range 0-64" },
    { "99999999999999999999", "invalid signal `99999999999999999999`" },
    { "RTMIN+40", "invalid signal `RTMIN+40`: out of range SIGRTMIN-SIGRTMAX" },
    { "RTMIN-1", "unknown signal `RTMIN-1`" },
    { "RTMAX+1", "unknown signal `RTMAX+1`" },
    { "RTMIN+", "unknown signal `RTMIN+`" },
    { "RTMIN+x", "unknown signal `RTMIN+x`" },
    { "KILLX", "unknown signal `KILLX`" },
  };
  size_t i;

  (void)state;
  for (i = 0; i < N_ELEMENTS (cases); i++)
    {
      cleanup_error jr_error_t err = NULL;
      int sig = -42;

      if (jr_signal_parse (cases[i].text, &sig, &err) >= 0)
        fail_msg ("`%s` parsed as %d, expected an error", cases[i].text, sig);
      assert_error_msg (err, cases[i].msg);
      assert_int_equal (sig, -42);
    }
}

static void
test_signal_names (void **state)
{
  int s;

  (void)state;
  assert_string_equal (jr_signal_name (SIGKILL), "SIGKILL");
  assert_string_equal (jr_signal_name (SIGTERM), "SIGTERM");
  assert_string_equal (jr_signal_name (SIGABRT), "SIGABRT"); /* not the SIGIOT alias */
  assert_string_equal (jr_signal_name (SIGCHLD), "SIGCHLD");
  assert_string_equal (jr_signal_name (SIGRTMIN), "SIGRTMIN");
  assert_string_equal (jr_signal_name (SIGRTMIN + 3), "SIGRTMIN+3");
  assert_string_equal (jr_signal_name (SIGRTMAX), "SIGRTMAX");
  assert_string_equal (jr_signal_name (SIGRTMAX - 1), "SIGRTMAX-1");
  assert_null (jr_signal_name (0));
  assert_null (jr_signal_name (SIGRTMAX + 1));

  /* Every signal with a name parses back to itself. */
  for (s = 1; s <= SIGRTMAX; s++)
    {
      cleanup_error jr_error_t err = NULL;
      const char *name = jr_signal_name (s);
      int back = -1;

      if (name == NULL)
        {
          /* glibc reserves 32 and 33 for its threads: no names. */
          if (s < SIGRTMIN && s >= 32)
            continue;
          fail_msg ("signal %d has no name", s);
        }
      assert_int_equal (jr_signal_parse (name, &back, &err), 0);
      if (back != s)
        fail_msg ("%s parsed back as %d, expected %d", name, back, s);
    }
}

/* ===================================================================== */
/* capabilities                                                           */
/* ===================================================================== */

static int
kernel_cap_last (void)
{
  FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
  int v = -1;

  assert_non_null (f);
  assert_int_equal (fscanf (f, "%d", &v), 1);
  fclose (f);
  return v;
}

static void
test_cap_from_name (void **state)
{
  (void)state;
  assert_int_equal (jr_cap_from_name ("CAP_CHOWN"), CAP_CHOWN);
  assert_int_equal (jr_cap_from_name ("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  assert_int_equal (jr_cap_from_name ("CAP_NET_BIND_SERVICE"), CAP_NET_BIND_SERVICE);
  assert_int_equal (jr_cap_from_name ("CAP_AUDIT_READ"), CAP_AUDIT_READ);
  assert_int_equal (jr_cap_from_name ("CAP_FOO"), -1);
  assert_int_equal (jr_cap_from_name ("cap_sys_admin"), -1);
  assert_int_equal (jr_cap_from_name ("SYS_ADMIN"), -1);
  assert_int_equal (jr_cap_from_name ("CAP_"), -1);
  assert_int_equal (jr_cap_from_name ("CAP_21"), -1);
  assert_int_equal (jr_cap_from_name ("21"), -1);
  assert_int_equal (jr_cap_from_name (""), -1);
  assert_int_equal (jr_cap_from_name (NULL), -1);
}

static void
test_caps_validate (void **state)
{
  char *good[] = { "CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW" };
  char *bad_bounding[] = { "CAP_CHOWN", "CAP_FOO" };
  char *bad_ambient[] = { "cap_kill" };
  struct oci_capabilities caps = { 0 };

  (void)state;
  {
    cleanup_error jr_error_t err = NULL;

    caps.bounding = caps.effective = caps.permitted = caps.inheritable = caps.ambient = good;
    caps.bounding_len = caps.effective_len = caps.permitted_len = caps.inheritable_len = caps.ambient_len
        = N_ELEMENTS (good);
    assert_int_equal (jr_caps_validate (&caps, &err), 0);
    assert_null (err);
    assert_int_equal (jr_caps_validate (NULL, &err), 0);
  }
  {
    cleanup_error jr_error_t err = NULL;

    caps.bounding = bad_bounding;
    caps.bounding_len = N_ELEMENTS (bad_bounding);
    assert_true (jr_caps_validate (&caps, &err) < 0);
    assert_error_msg (err, "capabilities: bounding: unknown capability `CAP_FOO`");
  }
  {
    cleanup_error jr_error_t err = NULL;

    caps.bounding = good;
    caps.bounding_len = N_ELEMENTS (good);
    caps.ambient = bad_ambient;
    caps.ambient_len = N_ELEMENTS (bad_ambient);
    assert_true (jr_caps_validate (&caps, &err) < 0);
    assert_error_msg (err, "capabilities: ambient: unknown capability `cap_kill`");
  }
}

static void
test_caps_all_names (void **state)
{
  cleanup_strv char **names = jr_caps_all_names ();
  bool saw_admin = false, saw_chown = false;
  size_t i;

  (void)state;
  assert_non_null (names);
  assert_int_equal (jr_strv_len (names), (size_t)kernel_cap_last () + 1);
  for (i = 0; names[i]; i++)
    {
      assert_true (jr_has_prefix (names[i], "CAP_"));
      assert_int_equal (jr_cap_from_name (names[i]), (int)i);
      saw_admin |= strcmp (names[i], "CAP_SYS_ADMIN") == 0;
      saw_chown |= strcmp (names[i], "CAP_CHOWN") == 0;
    }
  assert_true (saw_admin);
  assert_true (saw_chown);
}

/* Child: keep only CAP_CHOWN and CAP_KILL in the bounding set. */
static int
child_drop_bounding (void *data)
{
  char *keep[] = { "CAP_CHOWN", "CAP_KILL" };
  struct oci_capabilities caps = { .bounding = keep, .bounding_len = 2 };
  jr_error_t err = NULL;
  int last = *(int *)data, cap;

  if (jr_caps_drop_bounding (&caps, &err) < 0)
    return 10;
  for (cap = 0; cap <= last; cap++)
    {
      int expected = cap == CAP_CHOWN || cap == CAP_KILL;

      if (prctl (PR_CAPBSET_READ, cap, 0, 0, 0) != expected)
        return 11;
    }
  return 0;
}

static void
test_caps_drop_bounding (void **state)
{
  int last = kernel_cap_last ();

  (void)state;
  if (prctl (PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) != 1 || prctl (PR_CAPBSET_READ, CAP_KILL, 0, 0, 0) != 1)
    skip ();
  assert_int_equal (run_in_child (child_drop_bounding, &last), 0);
}

/* Child: apply a small set and read it back with libcap. */
static int
child_apply_caps (void *data)
{
  char *eff[] = { "CAP_CHOWN" };
  char *perm[] = { "CAP_CHOWN", "CAP_NET_BIND_SERVICE" };
  char *inh[] = { "CAP_NET_BIND_SERVICE" };
  char *amb[] = { "CAP_NET_BIND_SERVICE" };
  struct oci_capabilities caps = {
    .effective = eff,
    .effective_len = 1,
    .permitted = perm,
    .permitted_len = 2,
    .inheritable = inh,
    .inheritable_len = 1,
    .ambient = amb,
    .ambient_len = 1,
  };
  jr_error_t err = NULL;
  cap_flag_value_t v;
  cap_t now;
  int cap;

  (void)data;
  if (jr_caps_apply (&caps, &err) < 0)
    return 10;
  now = cap_get_proc ();
  if (now == NULL)
    return 11;
  for (cap = 0; cap <= CAP_LAST_CAP; cap++)
    {
      int e = cap == CAP_CHOWN;
      int p = cap == CAP_CHOWN || cap == CAP_NET_BIND_SERVICE;
      int i = cap == CAP_NET_BIND_SERVICE;

      if (!CAP_IS_SUPPORTED (cap))
        continue;
      if (cap_get_flag (now, cap, CAP_EFFECTIVE, &v) < 0 || (v == CAP_SET) != e)
        return 12;
      if (cap_get_flag (now, cap, CAP_PERMITTED, &v) < 0 || (v == CAP_SET) != p)
        return 13;
      if (cap_get_flag (now, cap, CAP_INHERITABLE, &v) < 0 || (v == CAP_SET) != i)
        return 14;
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) != i)
        return 15;
    }
  cap_free (now);

  /* NULL clears everything. */
  if (jr_caps_apply (NULL, &err) < 0)
    return 16;
  now = cap_get_proc ();
  if (cap_get_flag (now, CAP_CHOWN, CAP_PERMITTED, &v) < 0 || v != CAP_CLEAR)
    return 17;
  cap_free (now);
  return 0;
}

static void
test_caps_apply (void **state)
{
  (void)state;
  if (geteuid () != 0)
    skip ();
  assert_int_equal (run_in_child (child_apply_caps, NULL), 0);
}

/* ===================================================================== */
/* sysctl                                                                 */
/* ===================================================================== */

struct sysctl_fixture
{
  struct oci_spec spec;
  struct oci_linux linux_;
  struct oci_namespace ns[8];
  char *keys[8];
  char *values[8];
};

static void
sysctl_fixture_init (struct sysctl_fixture *f, const char *const *namespaces, const char *key,
                     const char *value)
{
  size_t i;

  memset (f, 0, sizeof (*f));
  f->spec.linux_ = &f->linux_;
  for (i = 0; namespaces && namespaces[i]; i++)
    f->ns[i].type = (char *)namespaces[i];
  f->linux_.namespaces = f->ns;
  f->linux_.namespaces_len = i;
  f->keys[0] = (char *)key;
  f->values[0] = (char *)value;
  f->linux_.sysctl.keys = f->keys;
  f->linux_.sysctl.values = f->values;
  f->linux_.sysctl.len = key ? 1 : 0;
}

static void
test_sysctl_validate (void **state)
{
  static const char *const all_ns[] = { "ipc", "network", "uts", "mount", NULL };
  static const char *const only_ipc[] = { "ipc", "mount", NULL };
  static const char *const only_net[] = { "network", NULL };
  static const struct
  {
    const char *const *ns;
    const char *key;
    const char *msg; /* NULL = valid */
  } cases[] = {
    { all_ns, "kernel.shmmax", NULL },
    { all_ns, "kernel.msgmax", NULL },
    { all_ns, "kernel.sem", NULL },
    { all_ns, "kernel.shm_rmid_forced", NULL },
    { all_ns, "fs.mqueue.msg_max", NULL },
    { all_ns, "net.ipv4.ip_forward", NULL },
    { all_ns, "net/ipv4/conf/eth0.100/forwarding", NULL },
    { all_ns, "kernel.hostname", NULL },
    { all_ns, "kernel.domainname", NULL },
    { only_ipc, "kernel.shmmni", NULL },
    { only_ipc, "fs/mqueue/queues_max", NULL },
    { only_net, "net.core.somaxconn", NULL },
    { only_ipc, "net.ipv4.ip_forward", "sysctl `net.ipv4.ip_forward`: requires a network namespace" },
    { NULL, "net.core.somaxconn", "sysctl `net.core.somaxconn`: requires a network namespace" },
    { only_net, "kernel.msgmax", "sysctl `kernel.msgmax`: requires an ipc namespace" },
    { only_net, "fs.mqueue.msg_max", "sysctl `fs.mqueue.msg_max`: requires an ipc namespace" },
    { only_ipc, "kernel.hostname", "sysctl `kernel.hostname`: requires a uts namespace" },
    { all_ns, "vm.swappiness", "sysctl `vm.swappiness`: not in a separate kernel namespace" },
    { all_ns, "kernel.pid_max", "sysctl `kernel.pid_max`: not in a separate kernel namespace" },
    { all_ns, "kernel.shm", "sysctl `kernel.shm`: not in a separate kernel namespace" },
    { all_ns, "net/../kernel/core_pattern", "sysctl `net/../kernel/core_pattern`: invalid name" },
    { all_ns, "net..ipv4", "sysctl `net..ipv4`: invalid name" },
    { all_ns, "/net/ipv4/ip_forward", "sysctl `/net/ipv4/ip_forward`: invalid name" },
    { all_ns, "", "sysctl ``: invalid name" },
  };
  size_t i;

  (void)state;
  for (i = 0; i < N_ELEMENTS (cases); i++)
    {
      cleanup_error jr_error_t err = NULL;
      struct sysctl_fixture f;
      int ret;

      sysctl_fixture_init (&f, cases[i].ns, cases[i].key, "1");
      ret = jr_sysctl_validate (&f.spec, &err);
      if (cases[i].msg == NULL)
        {
          if (ret != 0)
            fail_msg ("`%s` rejected: %s", cases[i].key, err ? err->msg : "?");
        }
      else
        {
          if (ret >= 0)
            fail_msg ("`%s` accepted, expected `%s`", cases[i].key, cases[i].msg);
          assert_error_msg (err, cases[i].msg);
        }
    }
}

static void
test_sysctl_validate_network_path (void **state)
{
  cleanup_error jr_error_t err = NULL;
  struct sysctl_fixture f;

  (void)state;
  /* Joining an existing network namespace is a namespace too. */
  sysctl_fixture_init (&f, NULL, "net.ipv4.ip_forward", "1");
  f.ns[0].type = "network";
  f.ns[0].path = "/proc/1/ns/net";
  f.linux_.namespaces_len = 1;
  assert_int_equal (jr_sysctl_validate (&f.spec, &err), 0);
  assert_null (err);
}

static int
read_int_file (const char *path)
{
  FILE *f = fopen (path, "re");
  int v = -1;

  if (f == NULL)
    return -1;
  if (fscanf (f, "%d", &v) != 1)
    v = -1;
  fclose (f);
  return v;
}

/* Child: fresh net + ipc namespaces, apply two sysctls in both spellings,
   check they landed there. */
static int
child_sysctl_apply (void *data)
{
  struct sysctl_fixture f;
  jr_error_t err = NULL;

  (void)data;
  if (unshare (CLONE_NEWNET | CLONE_NEWIPC) < 0)
    return 10;
  sysctl_fixture_init (&f, NULL, "net.ipv4.ip_forward", "1");
  f.keys[1] = "kernel/shmmni";
  f.values[1] = "1234";
  f.linux_.sysctl.len = 2;
  if (jr_sysctl_apply (&f.spec, &err) < 0)
    return 11;
  if (read_int_file ("/proc/sys/net/ipv4/ip_forward") != 1)
    return 12;
  if (read_int_file ("/proc/sys/kernel/shmmni") != 1234)
    return 13;

  /* A key that does not exist names itself. */
  f.keys[0] = "net.ipv4.no_such_knob";
  f.linux_.sysctl.len = 1;
  if (jr_sysctl_apply (&f.spec, &err) >= 0)
    return 14;
  if (strstr (err->msg, "sysctl `net.ipv4.no_such_knob`") == NULL)
    return 15;
  jr_error_free (&err);
  return 0;
}

static void
test_sysctl_apply (void **state)
{
  (void)state;
  if (geteuid () != 0)
    skip ();
  assert_int_equal (run_in_child (child_sysctl_apply, NULL), 0);
}

/* ===================================================================== */
/* seccomp                                                                */
/* ===================================================================== */

/* A tiny builder so each test reads like the JSON profile it mirrors. */
struct profile
{
  struct oci_seccomp s;
  struct oci_seccomp_syscall calls[64];
  struct oci_seccomp_arg args[64][6];
};

static void
profile_init (struct profile *p, const char *default_action)
{
  memset (p, 0, sizeof (*p));
  p->s.default_action = (char *)default_action;
  p->s.syscalls = p->calls;
}

/* names is NULL-terminated. */
static struct oci_seccomp_syscall *
profile_add (struct profile *p, const char *action, const char *const *names)
{
  struct oci_seccomp_syscall *c = &p->calls[p->s.syscalls_len];
  size_t n = 0;

  assert_true (p->s.syscalls_len < N_ELEMENTS (p->calls));
  while (names[n])
    n++;
  c->names = (char **)names;
  c->names_len = n;
  c->action = (char *)action;
  c->args = p->args[p->s.syscalls_len];
  p->s.syscalls_len++;
  return c;
}

static void
syscall_add_arg (struct oci_seccomp_syscall *c, uint32_t index, const char *op, uint64_t value, bool has_two,
                 uint64_t two)
{
  struct oci_seccomp_arg *a = &c->args[c->args_len++];

  a->index = index;
  a->op = (char *)op;
  a->value = value;
  a->has_value_two = has_two;
  a->value_two = two;
}

static void
expect_build_ok (struct profile *p)
{
  cleanup_error jr_error_t err = NULL;
  struct jr_seccomp *f = NULL;

  if (jr_seccomp_build (&p->s, &f, &err) < 0)
    fail_msg ("build failed: %s", err ? err->msg : "?");
  assert_non_null (f);
  jr_seccomp_free (f);
}

static void
expect_build_error (struct profile *p, const char *msg)
{
  cleanup_error jr_error_t err = NULL;
  struct jr_seccomp *f = (struct jr_seccomp *)0x1;

  if (jr_seccomp_build (&p->s, &f, &err) >= 0)
    fail_msg ("build succeeded, expected `%s`", msg);
  assert_null (f);
  assert_error_msg (err, msg);
}

static const char *const mkdir_names[] = { "mkdir", "mkdirat", NULL };

static void
test_seccomp_build_simple (void **state)
{
  static const char *const unknown[] = { "no_such_syscall_jitrun", "getpid", NULL };
  struct profile p;
  cleanup_error jr_error_t err = NULL;
  struct jr_seccomp *f = (struct jr_seccomp *)0x1;

  (void)state;
  assert_int_equal (jr_seccomp_build (NULL, &f, &err), 0);
  assert_null (f);

  profile_init (&p, "SCMP_ACT_ALLOW");
  profile_add (&p, "SCMP_ACT_ERRNO", mkdir_names);
  expect_build_ok (&p);

  /* Unknown syscall names are skipped, not errors. */
  profile_add (&p, "SCMP_ACT_LOG", unknown);
  expect_build_ok (&p);

  /* A rule repeating the default action is dropped (libseccomp would
     refuse it). */
  profile_add (&p, "SCMP_ACT_ALLOW", unknown);
  expect_build_ok (&p);

  /* ...but ERRNO with another errno is a different action. */
  profile_init (&p, "SCMP_ACT_ERRNO");
  profile_add (&p, "SCMP_ACT_ERRNO", mkdir_names);
  expect_build_ok (&p);
  p.calls[0].has_errno_ret = true;
  p.calls[0].errno_ret = EROFS;
  expect_build_ok (&p);
}

static void
test_seccomp_build_every_action (void **state)
{
  static const char *const actions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_LOG",
  };
  static const char *const names[][2] = {
    { "acct", NULL },       { "swapon", NULL }, { "swapoff", NULL }, { "reboot", NULL },
    { "kexec_load", NULL }, { "ptrace", NULL }, { "syslog", NULL },
  };
  struct profile p;
  size_t i;

  (void)state;
  profile_init (&p, "SCMP_ACT_ALLOW");
  for (i = 0; i < N_ELEMENTS (actions); i++)
    profile_add (&p, actions[i], names[i]);
  p.calls[5].has_errno_ret = true; /* TRACE's msg */
  p.calls[5].errno_ret = 42;
  expect_build_ok (&p);

  /* Every action also works as the default except NOTIFY. */
  for (i = 0; i < N_ELEMENTS (actions); i++)
    {
      static const char *const getpid_names[] = { "getpid", NULL };

      profile_init (&p, actions[i]);
      profile_add (&p, "SCMP_ACT_ALLOW", getpid_names);
      expect_build_ok (&p);
    }
  profile_init (&p, "SCMP_ACT_NOTIFY");
  expect_build_error (&p, "seccomp: defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
}

static void
test_seccomp_build_errors (void **state)
{
  static const char *const getpid_names[] = { "getpid", NULL };
  static const char *const write_names[] = { "write", NULL };
  struct oci_seccomp_syscall *c;
  struct profile p;
  char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_VAX" };
  char *flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FOO" };

  (void)state;
  profile_init (&p, "SCMP_ACT_FOO");
  expect_build_error (&p, "seccomp: defaultAction: unknown action `SCMP_ACT_FOO`");

  profile_init (&p, NULL);
  expect_build_error (&p, "seccomp: defaultAction: unknown action `(null)`");

  profile_init (&p, "SCMP_ACT_ERRNO");
  profile_add (&p, "SCMP_ACT_ALLOW", getpid_names);
  profile_add (&p, "SCMP_ACT_ALLOW", getpid_names);
  profile_add (&p, "SCMP_ACT_ALLOW", getpid_names);
  profile_add (&p, "SCMP_ACT_FOO", getpid_names);
  expect_build_error (&p, "seccomp: syscalls[3]: unknown action `SCMP_ACT_FOO`");

  profile_init (&p, "SCMP_ACT_ERRNO");
  c = profile_add (&p, "SCMP_ACT_ALLOW", getpid_names);
  syscall_add_arg (c, 0, "SCMP_CMP_EQ", 1, false, 0);
  syscall_add_arg (c, 1, "SCMP_CMP_ALMOST", 1, false, 0);
  expect_build_error (&p, "seccomp: syscalls[0]: args[1]: unknown operator `SCMP_CMP_ALMOST`");

  profile_init (&p, "SCMP_ACT_ERRNO");
  c = profile_add (&p, "SCMP_ACT_ALLOW", getpid_names);
  syscall_add_arg (c, 6, "SCMP_CMP_EQ", 1, false, 0);
  expect_build_error (&p, "seccomp: syscalls[0]: args[0]: index 6 out of range 0-5");

  profile_init (&p, "SCMP_ACT_ERRNO");
  p.s.architectures = archs;
  p.s.architectures_len = 2;
  expect_build_error (&p, "seccomp: architectures[1]: unknown architecture `SCMP_ARCH_VAX`");

  profile_init (&p, "SCMP_ACT_ERRNO");
  p.s.flags = flags;
  p.s.flags_len = 2;
  expect_build_error (&p, "seccomp: flags[1]: unknown flag `SECCOMP_FILTER_FLAG_FOO`");

  /* NOTIFY needs a listener and must not catch the runtime's own writes. */
  profile_init (&p, "SCMP_ACT_ALLOW");
  profile_add (&p, "SCMP_ACT_NOTIFY", mkdir_names);
  expect_build_error (&p, "seccomp: SCMP_ACT_NOTIFY is used but listenerPath is not set");
  p.s.listener_path = "/run/listener.sock";
  expect_build_ok (&p);
  profile_add (&p, "SCMP_ACT_NOTIFY", write_names);
  expect_build_error (&p, "seccomp: syscalls[1]: SCMP_ACT_NOTIFY cannot be used for `write`");
}

static void
test_seccomp_build_flags_archs (void **state)
{
  char *archs[]
      = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM" };
  char *flags[]
      = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW" };
  char *waitkill[] = { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };
  struct profile p;
  const char *const *l;
  bool found;

  (void)state;
  profile_init (&p, "SCMP_ACT_ERRNO");
  profile_add (&p, "SCMP_ACT_ALLOW", mkdir_names);
  p.s.architectures = archs;
  p.s.architectures_len = N_ELEMENTS (archs);
  p.s.flags = flags;
  p.s.flags_len = N_ELEMENTS (flags);
  expect_build_ok (&p);

  p.s.flags = waitkill;
  p.s.flags_len = 1;
#ifdef SCMP_FLTATR_CTL_WAITKILL
  expect_build_ok (&p);
#else
  {
    cleanup_error jr_error_t err = NULL;
    struct jr_seccomp *f = NULL;

    assert_true (jr_seccomp_build (&p.s, &f, &err) < 0);
    assert_non_null (
        strstr (err->msg, "seccomp: flag `SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV` is not supported"));
  }
#endif

  /* Every architecture the features document advertises is accepted. */
  for (l = jr_seccomp_known_archs (); *l; l++)
    {
      char *one[] = { (char *)*l };

      p.s.flags_len = 0;
      p.s.architectures = one;
      p.s.architectures_len = 1;
      expect_build_ok (&p);
    }

  found = false;
  for (l = jr_seccomp_known_actions (); *l; l++)
    found |= strcmp (*l, "SCMP_ACT_NOTIFY") == 0;
  assert_true (found);
  found = false;
  for (l = jr_seccomp_known_operators (); *l; l++)
    found |= strcmp (*l, "SCMP_CMP_MASKED_EQ") == 0;
  assert_true (found);
  found = false;
  for (l = jr_seccomp_known_flags (); *l; l++)
    found |= strcmp (*l, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0;
  assert_true (found);
  found = false;
  for (l = jr_seccomp_known_archs (); *l; l++)
    found |= strcmp (*l, "SCMP_ARCH_S390X") == 0;
  assert_true (found);
}

/* The shape of Docker's/containerd's default profile: ERRNO by default, a
   long ALLOW list, personality by value, clone by masked flags,
   architectures with their sub-architectures. */
static void
test_seccomp_build_docker_like (void **state)
{
  static const char *const allowed[] = {
    "accept",
    "accept4",
    "access",
    "arch_prctl",
    "bind",
    "brk",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "clock_gettime",
    "close",
    "connect",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_ctl",
    "epoll_wait",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fchdir",
    "fcntl",
    "fstat",
    "futex",
    "getcwd",
    "getdents64",
    "getpid",
    "getppid",
    "getuid",
    "ioctl",
    "kill",
    "lseek",
    "madvise",
    "mkdir",
    "mmap",
    "mprotect",
    "munmap",
    "nanosleep",
    "newfstatat",
    "open",
    "openat",
    "openat2",
    "pipe",
    "pipe2",
    "poll",
    "prctl",
    "pread64",
    "read",
    "readlink",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sched_yield",
    "select",
    "set_robust_list",
    "set_tid_address",
    "setgid",
    "setgroups",
    "setuid",
    "socket",
    "stat",
    "statx",
    "uname",
    "wait4",
    "write",
    "writev",
    "landlock_create_ruleset",
    "memfd_secret",
    "futex_waitv",
    "this_syscall_does_not_exist",
    NULL,
  };
  static const char *const personality[] = { "personality", NULL };
  static const char *const clone[] = { "clone", NULL };
  static const char *const clone3[] = { "clone3", NULL };
  static const char *const socket_names[] = { "socket", NULL };
  static const uint64_t personas[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };
  char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" };
  struct oci_seccomp_syscall *c;
  struct profile p;
  size_t i;

  (void)state;
  profile_init (&p, "SCMP_ACT_ERRNO");
  p.s.has_default_errno_ret = true;
  p.s.default_errno_ret = EPERM;
  p.s.architectures = archs;
  p.s.architectures_len = N_ELEMENTS (archs);
  profile_add (&p, "SCMP_ACT_ALLOW", allowed);
  for (i = 0; i < N_ELEMENTS (personas); i++)
    {
      c = profile_add (&p, "SCMP_ACT_ALLOW", personality);
      syscall_add_arg (c, 0, "SCMP_CMP_EQ", personas[i], false, 0);
    }
  c = profile_add (&p, "SCMP_ACT_ALLOW", clone);
  syscall_add_arg (c, 0, "SCMP_CMP_MASKED_EQ", 2114060288, true, 0);
  c = profile_add (&p, "SCMP_ACT_ERRNO", clone3);
  c->has_errno_ret = true;
  c->errno_ret = ENOSYS;
  /* AF_VSOCK refused, everything else allowed: a NE plus an LT/GT pair on
     different args (ANDed). */
  c = profile_add (&p, "SCMP_ACT_ERRNO", socket_names);
  syscall_add_arg (c, 0, "SCMP_CMP_EQ", 40, false, 0);
  syscall_add_arg (c, 1, "SCMP_CMP_GE", 0, false, 0);
  syscall_add_arg (c, 2, "SCMP_CMP_LE", 1000, false, 0);
  expect_build_ok (&p);
}

/* ---- loading filters for real, in children ---------------------------- */

static int
child_mkdir_eperm (void *data)
{
  const char *dir = data;
  struct profile p;
  jr_error_t err = NULL;
  struct jr_seccomp *f = NULL;
  int notify_fd = 42;

  profile_init (&p, "SCMP_ACT_ALLOW");
  profile_add (&p, "SCMP_ACT_ERRNO", mkdir_names);
  if (jr_seccomp_build (&p.s, &f, &err) < 0)
    return 10;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return 11;
  if (jr_seccomp_load (f, &notify_fd, &err) < 0)
    return 12;
  if (notify_fd != -1)
    return 13;
  jr_seccomp_free (f); /* the loaded filter stays */
  if (mkdir (dir, 0700) == 0)
    return 14;
  if (errno != EPERM)
    return 15;
  if (syscall (SYS_mkdirat, AT_FDCWD, dir, 0700) == 0 || errno != EPERM)
    return 16;
  if (getpid () <= 0 || syscall (SYS_getpid) != getpid ())
    return 17;
  if (access (dir, F_OK) == 0)
    return 18;
  return 0;
}

static void
test_seccomp_load_mkdir (void **state)
{
  char tmpl[] = "/tmp/jitrun-test-seccomp-XXXXXX";
  cleanup_free char *dir = NULL;
  struct stat st;

  (void)state;
  assert_non_null (mkdtemp (tmpl));
  dir = xasprintf ("%s/sub", tmpl);
  assert_int_equal (run_in_child (child_mkdir_eperm, dir), 0);
  /* Without the filter the same mkdir works: the EPERM came from it. */
  assert_int_equal (mkdir (dir, 0700), 0);
  assert_int_equal (stat (dir, &st), 0);
  assert_int_equal (rmdir (dir), 0);
  assert_int_equal (rmdir (tmpl), 0);
}

static int
child_personality_args (void *data)
{
  static const char *const personality[] = { "personality", NULL };
  struct oci_seccomp_syscall *c;
  struct profile p;
  jr_error_t err = NULL;
  struct jr_seccomp *f = NULL;

  (void)data;
  /* personality(0xffffffff) only queries: allowed.  Any other value is
     refused with EPERM. */
  profile_init (&p, "SCMP_ACT_ALLOW");
  c = profile_add (&p, "SCMP_ACT_ERRNO", personality);
  syscall_add_arg (c, 0, "SCMP_CMP_NE", 0xffffffff, false, 0);
  if (jr_seccomp_build (&p.s, &f, &err) < 0)
    return 10;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return 11;
  if (jr_seccomp_load (f, NULL, &err) < 0)
    return 12;
  jr_seccomp_free (f);
  if (syscall (SYS_personality, 0xffffffffUL) < 0)
    return 13;
  if (syscall (SYS_personality, 0x0UL) >= 0 || errno != EPERM)
    return 14;
  if (syscall (SYS_personality, 0x8UL) >= 0 || errno != EPERM)
    return 15;
  return 0;
}

static void
test_seccomp_load_personality (void **state)
{
  (void)state;
  assert_int_equal (run_in_child (child_personality_args, NULL), 0);
}

/* Two EQ conditions on the same argument become separate rules (OR):
   ANDed they could never both hold and nothing would be refused. */
static int
child_or_split (void *data)
{
  static const char *const personality[] = { "personality", NULL };
  struct oci_seccomp_syscall *c;
  struct profile p;
  jr_error_t err = NULL;
  struct jr_seccomp *f = NULL;

  (void)data;
  profile_init (&p, "SCMP_ACT_ALLOW");
  c = profile_add (&p, "SCMP_ACT_ERRNO", personality);
  c->has_errno_ret = true;
  c->errno_ret = EROFS;
  syscall_add_arg (c, 0, "SCMP_CMP_EQ", 0x8, false, 0);
  syscall_add_arg (c, 0, "SCMP_CMP_EQ", 0x20000, false, 0);
  if (jr_seccomp_build (&p.s, &f, &err) < 0)
    return 10;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || jr_seccomp_load (f, NULL, &err) < 0)
    return 11;
  jr_seccomp_free (f);
  if (syscall (SYS_personality, 0x8UL) >= 0 || errno != EROFS)
    return 12;
  if (syscall (SYS_personality, 0x20000UL) >= 0 || errno != EROFS)
    return 13;
  if (syscall (SYS_personality, 0xffffffffUL) < 0)
    return 14;
  return 0;
}

static void
test_seccomp_load_or_split (void **state)
{
  (void)state;
  assert_int_equal (run_in_child (child_or_split, NULL), 0);
}

/* MASKED_EQ: value is the mask, valueTwo the expected result. */
static int
child_masked_eq (void *data)
{
  static const char *const umask_names[] = { "umask", NULL };
  struct oci_seccomp_syscall *c;
  struct profile p;
  jr_error_t err = NULL;
  struct jr_seccomp *f = NULL;

  (void)data;
  profile_init (&p, "SCMP_ACT_ALLOW");
  c = profile_add (&p, "SCMP_ACT_ERRNO", umask_names);
  c->has_errno_ret = true;
  c->errno_ret = EACCES;
  /* refuse umasks that leave "other" bits open: (mask & 07) == 0 */
  syscall_add_arg (c, 0, "SCMP_CMP_MASKED_EQ", 07, true, 0);
  if (jr_seccomp_build (&p.s, &f, &err) < 0)
    return 10;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || jr_seccomp_load (f, NULL, &err) < 0)
    return 11;
  jr_seccomp_free (f);
  if (syscall (SYS_umask, 020) >= 0 || errno != EACCES)
    return 12;
  if (syscall (SYS_umask, 0770) >= 0 || errno != EACCES)
    return 13;
  if (syscall (SYS_umask, 022) < 0 || syscall (SYS_umask, 027) < 0)
    return 14;
  return 0;
}

static void
test_seccomp_load_masked_eq (void **state)
{
  (void)state;
  assert_int_equal (run_in_child (child_masked_eq, NULL), 0);
}

/* NOTIFY: loading hands back a listener fd. */
static int
child_notify_fd (void *data)
{
  static const char *const names[] = { "acct", NULL };
  struct profile p;
  jr_error_t err = NULL;
  struct jr_seccomp *f = NULL;
  int fd = -1;

  (void)data;
  profile_init (&p, "SCMP_ACT_ALLOW");
  p.s.listener_path = "/nonexistent/listener.sock";
  profile_add (&p, "SCMP_ACT_NOTIFY", names);
  if (jr_seccomp_build (&p.s, &f, &err) < 0)
    return 10;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return 11;
  if (jr_seccomp_load (f, &fd, &err) < 0)
    return 12;
  if (fd < 0 || fcntl (fd, F_GETFD) < 0)
    return 13;
  return 0;
}

static void
test_seccomp_load_notify (void **state)
{
  (void)state;
  assert_int_equal (run_in_child (child_notify_fd, NULL), 0);
}

/* The listener receives the process state JSON plus an fd. */
static void
test_seccomp_send_listener (void **state)
{
  char tmpl[] = "/tmp/jitrun-test-listener-XXXXXX";
  cleanup_free char *path = NULL;
  cleanup_close int srv = -1;
  cleanup_close int conn = -1;
  int pipefd[2];
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  const char *state_json = "{\"ociVersion\":\"1.0.2\",\"id\":\"ctr\",\"status\":\"creating\","
                           "\"pid\":4242,\"bundle\":\"/nonexistent-bundle\"}";
  char buf[4096];
  union
  {
    char b[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = buf, .iov_len = sizeof (buf) - 1 };
  struct msghdr mh
      = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.b, .msg_controllen = sizeof (control.b) };
  struct cmsghdr *cmsg;
  cleanup_error jr_error_t err = NULL;
  ssize_t n;
  int got_fd = -1;
  pid_t pid;
  int status;

  (void)state;
  assert_non_null (mkdtemp (tmpl));
  path = xasprintf ("%s/l.sock", tmpl);
  srv = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true (srv >= 0);
  strcpy (addr.sun_path, path);
  assert_int_equal (bind (srv, (struct sockaddr *)&addr, sizeof (addr)), 0);
  assert_int_equal (listen (srv, 1), 0);
  assert_int_equal (pipe2 (pipefd, O_CLOEXEC), 0);

  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      jr_error_t cerr = NULL;

      int sock = jr_seccomp_connect_listener (path, &cerr);
      _exit (sock < 0 || jr_seccomp_send_listener (sock, "meta-x", pipefd[1], state_json, &cerr) < 0 ? 1 : 0);
    }
  conn = accept4 (srv, NULL, NULL, SOCK_CLOEXEC);
  assert_true (conn >= 0);
  n = recvmsg (conn, &mh, MSG_CMSG_CLOEXEC);
  assert_true (n > 0);
  buf[n] = '\0';
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  cmsg = CMSG_FIRSTHDR (&mh);
  assert_non_null (cmsg);
  assert_int_equal (cmsg->cmsg_type, SCM_RIGHTS);
  memcpy (&got_fd, CMSG_DATA (cmsg), sizeof (int));
  assert_true (got_fd >= 0);
  /* It is the write end of our pipe. */
  assert_int_equal (write (got_fd, "x", 1), 1);
  assert_int_equal (read (pipefd[0], buf + n + 1, 1), 1);
  close (got_fd);
  close (pipefd[0]);
  close (pipefd[1]);

  assert_non_null (strstr (buf, "\"fds\":[\"seccompFd\"]"));
  assert_non_null (strstr (buf, "\"pid\":4242"));
  assert_non_null (strstr (buf, "\"ociVersion\":\"1.0.2\""));
  assert_non_null (strstr (buf, "\"state\":{"));
  assert_non_null (strstr (buf, "\"id\":\"ctr\""));
  assert_non_null (strstr (buf, "\"metadata\":\"meta-x\""));

  /* No one listening: the error names the path. */
  unlink (path);
  assert_true (jr_seccomp_connect_listener (path, &err) < 0);
  assert_non_null (strstr (err->msg, path));
  rmdir (tmpl);
}

/* ===================================================================== */
/* labels                                                                 */
/* ===================================================================== */

static void
test_labels_unavailable (void **state)
{
  cleanup_error jr_error_t err = NULL;

  (void)state;
  /* Empty requests are always fine. */
  assert_int_equal (jr_labels_validate (NULL, "", NULL, &err), 0);
  assert_int_equal (jr_apparmor_exec_profile (NULL, &err), 0);
  assert_int_equal (jr_selinux_exec_label ("", &err), 0);
  assert_null (err);

  if (!jr_apparmor_enabled ())
    {
      assert_true (jr_labels_validate ("x", NULL, NULL, &err) < 0);
      assert_error_msg (err, "apparmor profile `x` requested but AppArmor is not enabled on this host");
      jr_error_free (&err);
      assert_true (jr_apparmor_exec_profile ("x", &err) < 0);
      assert_error_msg (err, "apparmor profile `x` requested but AppArmor is not enabled on this host");
      jr_error_free (&err);
    }
  if (!jr_selinux_enabled ())
    {
      assert_true (jr_labels_validate (NULL, "system_u:system_r:container_t:s0", NULL, &err) < 0);
      assert_error_msg (err, "selinux label `system_u:system_r:container_t:s0` requested but SELinux is not "
                             "enabled on this host");
      jr_error_free (&err);
      assert_true (jr_labels_validate (NULL, NULL, "system_u:object_r:container_file_t:s0", &err) < 0);
      assert_non_null (strstr (err->msg, "mount label"));
      jr_error_free (&err);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_signal_parse_ok),
    cmocka_unit_test (test_signal_parse_rt),
    cmocka_unit_test (test_signal_parse_errors),
    cmocka_unit_test (test_signal_names),
    cmocka_unit_test (test_cap_from_name),
    cmocka_unit_test (test_caps_validate),
    cmocka_unit_test (test_caps_all_names),
    cmocka_unit_test (test_caps_drop_bounding),
    cmocka_unit_test (test_caps_apply),
    cmocka_unit_test (test_sysctl_validate),
    cmocka_unit_test (test_sysctl_validate_network_path),
    cmocka_unit_test (test_sysctl_apply),
    cmocka_unit_test (test_seccomp_build_simple),
    cmocka_unit_test (test_seccomp_build_every_action),
    cmocka_unit_test (test_seccomp_build_errors),
    cmocka_unit_test (test_seccomp_build_flags_archs),
    cmocka_unit_test (test_seccomp_build_docker_like),
    cmocka_unit_test (test_seccomp_load_mkdir),
    cmocka_unit_test (test_seccomp_load_personality),
    cmocka_unit_test (test_seccomp_load_or_split),
    cmocka_unit_test (test_seccomp_load_masked_eq),
    cmocka_unit_test (test_seccomp_load_notify),
    cmocka_unit_test (test_seccomp_send_listener),
    cmocka_unit_test (test_labels_unavailable),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
