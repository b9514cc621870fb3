/* jitrun - linux.seccomp compiled with libseccomp. */
#define _GNU_SOURCE
#include <config.h>
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "utils.h"

struct jr_seccomp
{
  scmp_filter_ctx ctx;
  bool has_notify;
};

/* ---- name tables -------------------------------------------------------- */

enum action_kind
{
  ACTION_PLAIN,      /* the value is the action */
  ACTION_WITH_ERRNO, /* ERRNO/TRACE: the value takes errnoRet */
};

struct action_entry
{
  const char *name;
  enum action_kind kind;
  uint32_t plain;
};

static const struct action_entry action_table[] = {
  { "SCMP_ACT_KILL", ACTION_PLAIN, SCMP_ACT_KILL_THREAD },
  { "SCMP_ACT_KILL_PROCESS", ACTION_PLAIN, SCMP_ACT_KILL_PROCESS },
  { "SCMP_ACT_KILL_THREAD", ACTION_PLAIN, SCMP_ACT_KILL_THREAD },
  { "SCMP_ACT_TRAP", ACTION_PLAIN, SCMP_ACT_TRAP },
  { "SCMP_ACT_ERRNO", ACTION_WITH_ERRNO, 0 },
  { "SCMP_ACT_TRACE", ACTION_WITH_ERRNO, 0 },
  { "SCMP_ACT_ALLOW", ACTION_PLAIN, SCMP_ACT_ALLOW },
  { "SCMP_ACT_LOG", ACTION_PLAIN, SCMP_ACT_LOG },
  { "SCMP_ACT_NOTIFY", ACTION_PLAIN, SCMP_ACT_NOTIFY },
};

struct op_entry
{
  const char *name;
  enum scmp_compare op;
};

static const struct op_entry op_table[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

struct arch_entry
{
  const char *name;
  uint32_t token;
};

static const struct arch_entry arch_table[] = {
  { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
  { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
  { "SCMP_ARCH_X32", SCMP_ARCH_X32 },
  { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
  { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
  { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
  { "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
  { "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
  { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
  { "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
  { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
  { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
  { "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
  { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
  { "SCMP_ARCH_S390", SCMP_ARCH_S390 },
  { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
  { "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
  { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
#ifdef SCMP_ARCH_RISCV64
  { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
#endif
#ifdef SCMP_ARCH_LOONGARCH64
  { "SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64 },
#endif
};

struct flag_entry
{
  const char *name;
  bool supported;
  enum scmp_filter_attr attr;
};

static const struct flag_entry flag_table[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", true, SCMP_FLTATR_CTL_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", true, SCMP_FLTATR_CTL_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", true, SCMP_FLTATR_CTL_SSB },
#ifdef SCMP_FLTATR_CTL_WAITKILL
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", true, SCMP_FLTATR_CTL_WAITKILL },
#else
  /* Needs libseccomp >= 2.6: known, but refused with a clear message. */
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", false, 0 },
#endif
};

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* ---- features lists ----------------------------------------------------- */

const char *const *
jr_seccomp_known_actions (void)
{
  static const char *names[N_ELEMENTS (action_table) + 1];
  size_t i;

  if (names[0] == NULL)
    for (i = 0; i < N_ELEMENTS (action_table); i++)
      names[i] = action_table[i].name;
  return names;
}

const char *const *
jr_seccomp_known_operators (void)
{
  static const char *names[N_ELEMENTS (op_table) + 1];
  size_t i;

  if (names[0] == NULL)
    for (i = 0; i < N_ELEMENTS (op_table); i++)
      names[i] = op_table[i].name;
  return names;
}

const char *const *
jr_seccomp_known_archs (void)
{
  static const char *names[N_ELEMENTS (arch_table) + 1];
  size_t i;

  if (names[0] == NULL)
    for (i = 0; i < N_ELEMENTS (arch_table); i++)
      names[i] = arch_table[i].name;
  return names;
}

const char *const *
jr_seccomp_known_flags (void)
{
  static const char *names[N_ELEMENTS (flag_table) + 1];
  size_t i;

  if (names[0] == NULL)
    for (i = 0; i < N_ELEMENTS (flag_table); i++)
      names[i] = flag_table[i].name;
  return names;
}

/* ---- building ----------------------------------------------------------- */

/* Resolve an action name plus optional errnoRet into libseccomp's value.
   Returns NULL when the name is unknown. */
static const struct action_entry *
resolve_action (const char *name, bool has_errno, uint32_t errno_ret, uint32_t *out)
{
  size_t i;

  if (name == NULL)
    return NULL;
  for (i = 0; i < N_ELEMENTS (action_table); i++)
    {
      const struct action_entry *a = &action_table[i];

      if (strcmp (name, a->name) != 0)
        continue;
      if (a->kind == ACTION_WITH_ERRNO)
        {
          /* The spec's default for errnoRet is EPERM, for TRACE too. */
          uint16_t e = has_errno ? (uint16_t)errno_ret : (uint16_t)EPERM;

          *out = strcmp (a->name, "SCMP_ACT_TRACE") == 0 ? SCMP_ACT_TRACE (e) : SCMP_ACT_ERRNO (e);
        }
      else
        *out = a->plain;
      return a;
    }
  return NULL;
}

static int
resolve_op (const char *name, enum scmp_compare *out)
{
  size_t i;

  if (name == NULL)
    return -1;
  for (i = 0; i < N_ELEMENTS (op_table); i++)
    if (strcmp (name, op_table[i].name) == 0)
      {
        *out = op_table[i].op;
        return 0;
      }
  return -1;
}

static int
resolve_arch (const char *name, uint32_t *out)
{
  size_t i;

  if (name == NULL)
    return -1;
  for (i = 0; i < N_ELEMENTS (arch_table); i++)
    if (strcmp (name, arch_table[i].name) == 0)
      {
        *out = arch_table[i].token;
        return 0;
      }
  return -1;
}

static const struct flag_entry *
resolve_flag (const char *name)
{
  size_t i;

  if (name == NULL)
    return NULL;
  for (i = 0; i < N_ELEMENTS (flag_table); i++)
    if (strcmp (name, flag_table[i].name) == 0)
      return &flag_table[i];
  return NULL;
}

#define MAX_SYSCALL_ARGS 6

/* Add one syscall (by number) with its conditions.  When several
   conditions test the same argument, libseccomp would AND them, which can
   never match for EQ; the established runtime behaviour is to make each
   condition its own rule (OR), so profiles written for it keep working. */
static int
add_syscall_rules (scmp_filter_ctx ctx, int nr, uint32_t action, const struct scmp_arg_cmp *conds,
                   size_t n_conds, bool split)
{
  size_t i;
  int ret;

  if (n_conds == 0 || !split)
    return seccomp_rule_add_array (ctx, action, nr, (unsigned int)n_conds, n_conds ? conds : NULL);
  for (i = 0; i < n_conds; i++)
    {
      ret = seccomp_rule_add_array (ctx, action, nr, 1, &conds[i]);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
build_syscall (scmp_filter_ctx ctx, const struct oci_seccomp_syscall *sc, size_t idx, uint32_t default_action,
               bool *has_notify, jr_error_t *err)
{
  struct scmp_arg_cmp conds[MAX_SYSCALL_ARGS * 4];
  unsigned int per_index[MAX_SYSCALL_ARGS] = { 0 };
  bool split = false;
  uint32_t action;
  const struct action_entry *entry;
  size_t i;

  entry = resolve_action (sc->action, sc->has_errno_ret, sc->errno_ret, &action);
  if (entry == NULL)
    return jr_error (err, 0, "seccomp: syscalls[%zu]: unknown action `%s`", idx,
                     sc->action ? sc->action : "(null)");

  if (sc->args_len > N_ELEMENTS (conds))
    return jr_error (err, 0, "seccomp: syscalls[%zu]: too many args (%zu)", idx, sc->args_len);
  for (i = 0; i < sc->args_len; i++)
    {
      const struct oci_seccomp_arg *a = &sc->args[i];
      enum scmp_compare op;

      if (resolve_op (a->op, &op) < 0)
        return jr_error (err, 0, "seccomp: syscalls[%zu]: args[%zu]: unknown operator `%s`", idx, i,
                         a->op ? a->op : "(null)");
      if (a->index >= MAX_SYSCALL_ARGS)
        return jr_error (err, 0, "seccomp: syscalls[%zu]: args[%zu]: index %u out of range 0-%d", idx, i,
                         a->index, MAX_SYSCALL_ARGS - 1);
      conds[i].arg = a->index;
      conds[i].op = op;
      /* MASKED_EQ: value is the mask, valueTwo what the masked arg must equal. */
      conds[i].datum_a = a->value;
      conds[i].datum_b = a->has_value_two ? a->value_two : 0;
      if (++per_index[a->index] > 1)
        split = true;
    }

  if (action == SCMP_ACT_NOTIFY)
    {
      for (i = 0; i < sc->names_len; i++)
        /* The runtime itself writes to its sync pipe after loading: a
           notified write() would hang it before the listener is told. */
        if (sc->names[i] && strcmp (sc->names[i], "write") == 0)
          return jr_error (err, 0, "seccomp: syscalls[%zu]: SCMP_ACT_NOTIFY cannot be used for `write`", idx);
      *has_notify = true;
    }

  /* libseccomp refuses rules that repeat the default action; they are
     no-ops anyway. */
  if (action == default_action)
    {
      jr_debug ("seccomp: syscalls[%zu]: same action as the default, skipped", idx);
      return 0;
    }

  for (i = 0; i < sc->names_len; i++)
    {
      const char *name = sc->names[i];
      int nr, ret;

      if (name == NULL || *name == '\0')
        continue;
      nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        {
          /* Profiles list syscalls newer (or older) than this libseccomp. */
          jr_debug ("seccomp: syscalls[%zu]: unknown syscall `%s`, skipped", idx, name);
          continue;
        }
      ret = add_syscall_rules (ctx, nr, action, conds, sc->args_len, split);
      if (ret < 0)
        return jr_error (err, -ret, "seccomp: syscalls[%zu]: add rule for `%s`", idx, name);
    }
  return 0;
}

int
jr_seccomp_build (const struct oci_seccomp *seccomp, struct jr_seccomp **out, jr_error_t *err)
{
  struct jr_seccomp *filter;
  uint32_t default_action;
  size_t i;
  int ret;

  *out = NULL;
  if (seccomp == NULL)
    return 0;

  if (resolve_action (seccomp->default_action, seccomp->has_default_errno_ret, seccomp->default_errno_ret,
                      &default_action)
      == NULL)
    return jr_error (err, 0, "seccomp: defaultAction: unknown action `%s`",
                     seccomp->default_action ? seccomp->default_action : "(null)");
  if (default_action == SCMP_ACT_NOTIFY)
    return jr_error (err, 0, "seccomp: defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

  filter = xmalloc0 (sizeof (*filter));
  filter->ctx = seccomp_init (default_action);
  if (filter->ctx == NULL)
    {
      free (filter);
      return jr_error (err, EINVAL, "seccomp: init with defaultAction `%s`", seccomp->default_action);
    }

  /* no_new_privs is process.noNewPrivileges' business, not libseccomp's
     (it would set it on load by default). */
  ret = seccomp_attr_set (filter->ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (ret < 0)
    {
      jr_error (err, -ret, "seccomp: disable no_new_privs on load");
      goto fail;
    }
  /* Report the kernel's errno on load failures rather than -ECANCELED;
     harmless if this libseccomp/kernel cannot. */
  (void)seccomp_attr_set (filter->ctx, SCMP_FLTATR_API_SYSRAWRC, 1);

  for (i = 0; i < seccomp->architectures_len; i++)
    {
      const char *name = seccomp->architectures[i];
      uint32_t token;

      if (resolve_arch (name, &token) < 0)
        {
          jr_error (err, 0, "seccomp: architectures[%zu]: unknown architecture `%s`", i,
                    name ? name : "(null)");
          goto fail;
        }
      ret = seccomp_arch_add (filter->ctx, token);
      /* The native architecture is always present.  EDOM: an architecture
         of the other endianness cannot share a filter with the native one;
         the kernel never runs its syscalls here, so there is nothing to
         filter. */
      if (ret == -EDOM)
        {
          jr_debug ("seccomp: architecture `%s` cannot be mixed with the native one, skipped", name);
          continue;
        }
      if (ret < 0 && ret != -EEXIST)
        {
          jr_error (err, -ret, "seccomp: add architecture `%s`", name);
          goto fail;
        }
    }

  for (i = 0; i < seccomp->flags_len; i++)
    {
      const char *name = seccomp->flags[i];
      const struct flag_entry *flag = resolve_flag (name);

      if (flag == NULL)
        {
          jr_error (err, 0, "seccomp: flags[%zu]: unknown flag `%s`", i, name ? name : "(null)");
          goto fail;
        }
      if (!flag->supported)
        {
          jr_error (err, 0, "seccomp: flag `%s` is not supported by libseccomp %u.%u", name,
                    seccomp_version ()->major, seccomp_version ()->minor);
          goto fail;
        }
      ret = seccomp_attr_set (filter->ctx, flag->attr, 1);
      if (ret < 0)
        {
          jr_error (err, -ret, "seccomp: set flag `%s`", name);
          goto fail;
        }
    }

  for (i = 0; i < seccomp->syscalls_len; i++)
    if (build_syscall (filter->ctx, &seccomp->syscalls[i], i, default_action, &filter->has_notify, err) < 0)
      goto fail;

  if (filter->has_notify && (seccomp->listener_path == NULL || *seccomp->listener_path == '\0'))
    {
      jr_error (err, 0, "seccomp: SCMP_ACT_NOTIFY is used but listenerPath is not set");
      goto fail;
    }

  *out = filter;
  return 0;

fail:
  jr_seccomp_free (filter);
  return -1;
}

/* ---- loading ------------------------------------------------------------ */

int
jr_seccomp_load (struct jr_seccomp *filter, int *notify_fd, jr_error_t *err)
{
  int ret;

  if (notify_fd)
    *notify_fd = -1;
  if (filter == NULL)
    return 0;

  ret = seccomp_load (filter->ctx);
  if (ret < 0)
    return jr_error (err, -ret, "seccomp: load filter");

  if (filter->has_notify)
    {
      int fd = seccomp_notify_fd (filter->ctx);

      if (fd < 0)
        return jr_error (err, fd == -1 ? EBADF : -fd, "seccomp: get the notify fd");
      if (notify_fd)
        *notify_fd = fd;
    }
  return 0;
}

void
jr_seccomp_free (struct jr_seccomp *filter)
{
  if (filter == NULL)
    return;
  if (filter->ctx)
    seccomp_release (filter->ctx);
  free (filter);
}

/* ---- the listener ------------------------------------------------------- */

/* The runtime-spec "container process state" sent with the fd.  A
   state_json that already is one (has "fds") is sent unchanged. */
static char *
listener_message (const char *state_json, const char *metadata, jr_error_t *err)
{
  cleanup_free char *errmsg = NULL;
  struct oci_jvalue *state, *msg, *fds;
  const char *version;
  int64_t pid = 0;
  char *json;

  state = oci_jvalue_parse (state_json, strlen (state_json), &errmsg);
  if (state == NULL)
    {
      jr_error (err, 0, "seccomp: listener: invalid state JSON: %s", errmsg ? errmsg : "?");
      return NULL;
    }
  if (oci_jobject_get (state, "fds") != NULL)
    {
      oci_jvalue_free (state);
      return xstrdup (state_json);
    }

  msg = oci_jobject_new ();
  version = oci_jvalue_str (oci_jobject_get (state, "ociVersion"));
  oci_jobject_set_str (msg, "ociVersion", version ? version : "1.0.2");
  fds = oci_jarray_new ();
  oci_jarray_append_str (fds, "seccompFd");
  oci_jobject_set (msg, "fds", fds);
  (void)oci_jvalue_int (oci_jobject_get (state, "pid"), &pid);
  oci_jobject_set_int (msg, "pid", pid);
  if (metadata && *metadata)
    oci_jobject_set_str (msg, "metadata", metadata);
  oci_jobject_set (msg, "state", state); /* takes ownership */
  json = oci_jvalue_to_json (msg, false);
  oci_jvalue_free (msg);
  if (json == NULL)
    jr_error (err, ENOMEM, "seccomp: listener: serialize the state");
  return json;
}

int
jr_seccomp_connect_listener (const char *listener_path, jr_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int sock;

  if (listener_path == NULL || *listener_path == '\0')
    return jr_error (err, 0, "seccomp: listenerPath is empty");
  if (strlen (listener_path) >= sizeof (addr.sun_path))
    return jr_error (err, ENAMETOOLONG, "seccomp: listener `%s`", listener_path);
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return jr_error (err, errno, "seccomp: listener `%s`: socket", listener_path);
  memcpy (addr.sun_path, listener_path, strlen (listener_path) + 1);
  if (connect (sock, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    {
      int saved = errno;
      close (sock);
      return jr_error (err, saved, "seccomp: connect to listener `%s`", listener_path);
    }
  return sock;
}

int
jr_seccomp_send_listener (int sock, const char *metadata, int notify_fd, const char *state_json,
                          jr_error_t *err)
{
  cleanup_free char *msg = NULL;
  union jr_fd_cmsg control;
  struct iovec iov;
  struct msghdr mh = { 0 };
  size_t len, sent;
  ssize_t n;

  if (notify_fd < 0)
    return jr_error (err, EBADF, "seccomp: listener: no notify fd");
  msg = listener_message (state_json ? state_json : "{}", metadata, err);
  if (msg == NULL)
    return -1;
  len = strlen (msg);

  /* The fd rides on the first chunk; a stream socket may take the JSON in
     several writes. */
  iov.iov_base = msg;
  iov.iov_len = len;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  jr_msg_attach_fd (&mh, &control, notify_fd);

  do
    n = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return jr_error (err, errno, "seccomp: send the notify fd to the listener");
  sent = (size_t)n;
  if (sent < len && jr_write_all (sock, msg + sent, len - sent) < 0)
    return jr_error (err, errno, "seccomp: send the state to the listener");
  return 0;
}
