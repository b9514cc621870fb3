/* jitrun - device nodes inside the container's /dev. */
#ifndef JITRUN_DEVICES_H
#define JITRUN_DEVICES_H

#include <stdbool.h>
#include "error.h"
#include "oci_spec.h"

/* rootfd: O_PATH fd of the rootfs.  Creates linux.devices and the default
   devices (mknod, or bind from the host in a user namespace), then the
   standard /dev symlinks. */
int jr_devices_setup (const struct oci_spec *spec, int rootfd, bool in_userns, jr_error_t *err);

#endif
