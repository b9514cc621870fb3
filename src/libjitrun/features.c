/* jitrun - the runtime-spec `features` document (`jitrun features`). */
#define _GNU_SOURCE
#include <config.h>
#include "features.h"

#include "capabilities.h"
#include "cgroup.h"
#include "labels.h"
#include "seccomp.h"
#include "utils.h"

static const char *const hooks[] = {
  "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL,
};

/* Mount options of the runtime-spec (config-linux "mount options") that
   the mounts parser understands.  idmap/ridmap are left out: jitrun does
   not do id-mapped mounts. */
static const char *const mount_options[] = {
  "acl",
  "async",
  "atime",
  "bind",
  "defaults",
  "dev",
  "diratime",
  "dirsync",
  "exec",
  "iversion",
  "lazytime",
  "loud",
  "mand",
  "noacl",
  "noatime",
  "nodev",
  "nodiratime",
  "noexec",
  "noiversion",
  "nolazytime",
  "nomand",
  "norelatime",
  "nostrictatime",
  "nosuid",
  "nosymfollow",
  "private",
  "ratime",
  "rbind",
  "rdev",
  "rdiratime",
  "relatime",
  "remount",
  "rexec",
  "rnoatime",
  "rnodev",
  "rnodiratime",
  "rnoexec",
  "rnorelatime",
  "rnostrictatime",
  "rnosuid",
  "rnosymfollow",
  "ro",
  "rprivate",
  "rrelatime",
  "rro",
  "rrw",
  "rshared",
  "rslave",
  "rstrictatime",
  "rsuid",
  "rsymfollow",
  "runbindable",
  "rw",
  "shared",
  "silent",
  "slave",
  "strictatime",
  "suid",
  "symfollow",
  "sync",
  "tmpcopyup",
  "unbindable",
  NULL,
};

static const char *const namespaces[] = {
  "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL,
};

/* Deep copy of a static NULL-terminated list, so the document owns it. */
static char **
copy_list (const char *const *items, size_t *len)
{
  size_t n = 0, i;
  char **v;

  while (items != NULL && items[n] != NULL)
    n++;
  v = xmalloc0 ((n + 1) * sizeof (char *));
  for (i = 0; i < n; i++)
    v[i] = xstrdup (items[i]);
  *len = n;
  return v;
}

struct oci_features *
jr_features_build (void)
{
  struct oci_features *f = xmalloc0 (sizeof (*f));

  f->oci_version_min = xstrdup ("1.0.0");
  f->oci_version_max = xstrdup (OCI_RUNTIME_SPEC_VERSION);
  f->hooks = copy_list (hooks, &f->hooks_len);
  f->mount_options = copy_list (mount_options, &f->mount_options_len);
  f->namespaces = copy_list (namespaces, &f->namespaces_len);

  f->capabilities = jr_caps_all_names ();
  f->capabilities_len = f->capabilities ? jr_strv_len (f->capabilities) : 0;

  jr_cgroup_features (&f->cgroup_v1, &f->cgroup_v2, &f->cgroup_systemd);
  f->cgroup_systemd_user = false;
  f->cgroup_rdma = false;

  f->seccomp_enabled = true;
  f->seccomp_actions = copy_list (jr_seccomp_known_actions (), &f->seccomp_actions_len);
  f->seccomp_operators = copy_list (jr_seccomp_known_operators (), &f->seccomp_operators_len);
  f->seccomp_archs = copy_list (jr_seccomp_known_archs (), &f->seccomp_archs_len);
  f->seccomp_known_flags = copy_list (jr_seccomp_known_flags (), &f->seccomp_known_flags_len);
  /* every flag we know is passed to libseccomp, which reports unsupported
     ones at load time */
  f->seccomp_supported_flags = copy_list (jr_seccomp_known_flags (), &f->seccomp_supported_flags_len);

  f->apparmor_enabled = jr_apparmor_enabled ();
  f->selinux_enabled = jr_selinux_enabled ();
  f->intel_rdt_enabled = false;
  f->mount_extensions_idmap_enabled = false;

  /* jitrun's own: clients may look for the extension cache here. */
  oci_string_map_set (&f->annotations, "run.jitrun.extension-cache", "true");
  oci_string_map_set (&f->annotations, "run.jitrun.commit", GIT_COMMIT);
  return f;
}
