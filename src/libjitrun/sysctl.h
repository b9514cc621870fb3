/* jitrun - linux.sysctl, written below /proc/sys inside the container. */
#ifndef JITRUN_SYSCTL_H
#define JITRUN_SYSCTL_H

#include "error.h"
#include "oci_spec.h"

/* Validate that each key is namespaced (kernel.shm*, kernel.msg*, kernel.sem,
   fs.mqueue.* need an ipc ns; net.* a net ns; kernel.hostname/domainname a
   uts ns) — pure, unit tested. */
int jr_sysctl_validate (const struct oci_spec *spec, jr_error_t *err);
/* Write them (called after /proc is mounted, e.g. after pivot). */
int jr_sysctl_apply (const struct oci_spec *spec, jr_error_t *err);

#endif
