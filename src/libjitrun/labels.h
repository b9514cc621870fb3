/* jitrun - AppArmor and SELinux labels. */
#ifndef JITRUN_LABELS_H
#define JITRUN_LABELS_H

#include <stdbool.h>
#include "error.h"

bool jr_apparmor_enabled (void);
bool jr_selinux_enabled (void);
/* Arrange for the next execve to run under `profile` / `label`.  On a host
   without AppArmor/SELinux, a non-empty request is an error naming it. */
int jr_apparmor_exec_profile (const char *profile, jr_error_t *err);
int jr_selinux_exec_label (const char *label, jr_error_t *err);
/* Check up front (at create, in the runtime) that the labels can be applied. */
int jr_labels_validate (const char *apparmor_profile, const char *selinux_label, const char *mount_label,
                        jr_error_t *err);

#endif
