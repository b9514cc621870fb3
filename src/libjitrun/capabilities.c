/* jitrun - the five capability sets (bounding, effective, inheritable,
   permitted, ambient) via libcap and prctl. */
#define _GNU_SOURCE
#include <config.h>
#include "capabilities.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "log.h"
#include "utils.h"

/* The highest capability number the running kernel knows.  Names libcap
   knows beyond it are requests we cannot honour, not errors. */
static int
kernel_last_cap (void)
{
  static int cached = -1;
  cleanup_free char *text = NULL;
  int64_t v;

  if (cached >= 0)
    return cached;
  if (jr_read_file_at (AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &text, NULL, NULL) == 0)
    {
      char *nl = strchr (text, '\n');

      if (nl)
        *nl = '\0';
      if (jr_parse_int64 (text, &v) == 0 && v >= 0 && v < 1024)
        return cached = (int)v;
    }
  /* /proc not mounted (early in a new mount ns): ask libcap to probe. */
  cached = (int)cap_max_bits () - 1;
  if (cached < 0)
    cached = CAP_LAST_CAP;
  return cached;
}

int
jr_cap_from_name (const char *name)
{
  cap_value_t value;
  const char *p;

  if (name == NULL || strncmp (name, "CAP_", 4) != 0 || name[4] == '\0')
    return -1;
  /* The spec spells them CAP_UPPER_CASE; libcap would also accept lower
     case and bare numbers, which runc rejects. */
  for (p = name + 4; *p; p++)
    if (!(isupper ((unsigned char)*p) || isdigit ((unsigned char)*p) || *p == '_'))
      return -1;
  if (isdigit ((unsigned char)name[4]))
    return -1;
  if (cap_from_name (name, &value) < 0)
    return -1;
  return (int)value;
}

struct cap_set_ref
{
  const char *what;
  char *const *names;
  size_t len;
};

static void
caps_sets (const struct oci_capabilities *caps, struct cap_set_ref sets[5])
{
  sets[0] = (struct cap_set_ref){ "bounding", caps->bounding, caps->bounding_len };
  sets[1] = (struct cap_set_ref){ "effective", caps->effective, caps->effective_len };
  sets[2] = (struct cap_set_ref){ "inheritable", caps->inheritable, caps->inheritable_len };
  sets[3] = (struct cap_set_ref){ "permitted", caps->permitted, caps->permitted_len };
  sets[4] = (struct cap_set_ref){ "ambient", caps->ambient, caps->ambient_len };
}

int
jr_caps_validate (const struct oci_capabilities *caps, jr_error_t *err)
{
  struct cap_set_ref sets[5];
  int last = kernel_last_cap ();
  size_t s, i;

  if (caps == NULL)
    return 0;
  caps_sets (caps, sets);
  for (s = 0; s < 5; s++)
    for (i = 0; i < sets[s].len; i++)
      {
        int value = jr_cap_from_name (sets[s].names[i]);

        if (value < 0)
          return jr_error (err, 0, "capabilities: %s: unknown capability `%s`", sets[s].what,
                           sets[s].names[i] ? sets[s].names[i] : "(null)");
        if (value > last)
          jr_warn ("capabilities: %s: `%s` is not supported by this kernel, ignoring", sets[s].what,
                   sets[s].names[i]);
      }
  return 0;
}

/* Mark every capability of `names` in `mask` (indexed by number); names
   unknown or beyond the kernel's last cap are skipped (validated earlier). */
static void
fill_mask (char *const *names, size_t len, bool *mask, int last)
{
  size_t i;

  for (i = 0; i < len; i++)
    {
      int value = jr_cap_from_name (names[i]);

      if (value < 0 || value > last)
        {
          jr_debug ("capabilities: skipping `%s`", names[i] ? names[i] : "(null)");
          continue;
        }
      mask[value] = true;
    }
}

/* "CAP_SYS_ADMIN" for messages, or the number when libcap has no name.
   cap_to_name's result must go back through cap_free, not free. */
static const char *
cap_display_name (int value, char buf[32])
{
  char *name = cap_to_name ((cap_value_t)value);
  char *p;

  if (name == NULL || isdigit ((unsigned char)name[0]))
    snprintf (buf, 32, "%d", value);
  else
    {
      for (p = name; *p; p++)
        *p = (char)toupper ((unsigned char)*p);
      snprintf (buf, 32, "%s", name);
    }
  if (name)
    cap_free (name);
  return buf;
}

int
jr_caps_drop_bounding (const struct oci_capabilities *caps, jr_error_t *err)
{
  int last = kernel_last_cap ();
  cleanup_free bool *keep = xmalloc0 ((size_t)(last + 1) * sizeof (bool));
  int cap;

  if (caps)
    fill_mask (caps->bounding, caps->bounding_len, keep, last);

  /* Drop first, ask later: dropping what is not there succeeds, and one
     syscall per capability instead of two is ~40 fewer per container. */
  for (cap = 0; cap <= last; cap++)
    {
      char buf[32];
      int drop_errno;

      if (keep[cap] || prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
        continue;
      drop_errno = errno;
      /* A kernel older than cap_last_cap claims: nothing to drop. */
      if (drop_errno == EINVAL)
        continue;
      /* Without CAP_SETPCAP nothing can be dropped: fine if it is not there. */
      if (drop_errno == EPERM && prctl (PR_CAPBSET_READ, cap, 0, 0, 0) == 0)
        continue;
      return jr_error (err, drop_errno, "capabilities: drop `%s` from the bounding set",
                       cap_display_name (cap, buf));
    }
  return 0;
}

static void
cap_freep (cap_t *c)
{
  if (*c)
    cap_free (*c);
}

static int
set_flag_from_mask (cap_t state, cap_flag_t flag, const bool *mask, int last, jr_error_t *err)
{
  int cap;

  for (cap = 0; cap <= last; cap++)
    {
      cap_value_t value = (cap_value_t)cap;

      if (!mask[cap])
        continue;
      if (cap_set_flag (state, flag, 1, &value, CAP_SET) < 0)
        {
          char buf[32];
          return jr_error (err, errno, "capabilities: set `%s`", cap_display_name (cap, buf));
        }
    }
  return 0;
}

int
jr_caps_apply (const struct oci_capabilities *caps, jr_error_t *err)
{
  int last = kernel_last_cap ();
  size_t n = (size_t)(last + 1);
  cleanup_free bool *effective = xmalloc0 (n * sizeof (bool));
  cleanup_free bool *permitted = xmalloc0 (n * sizeof (bool));
  cleanup_free bool *inheritable = xmalloc0 (n * sizeof (bool));
  cleanup_free bool *ambient = xmalloc0 (n * sizeof (bool));
  __attribute__ ((cleanup (cap_freep))) cap_t state = NULL;
  int cap;

  if (caps)
    {
      fill_mask (caps->effective, caps->effective_len, effective, last);
      fill_mask (caps->permitted, caps->permitted_len, permitted, last);
      fill_mask (caps->inheritable, caps->inheritable_len, inheritable, last);
      fill_mask (caps->ambient, caps->ambient_len, ambient, last);
    }

  state = cap_init (); /* all clear */
  if (state == NULL)
    return jr_error (err, errno, "capabilities: cap_init");
  if (set_flag_from_mask (state, CAP_EFFECTIVE, effective, last, err) < 0
      || set_flag_from_mask (state, CAP_PERMITTED, permitted, last, err) < 0
      || set_flag_from_mask (state, CAP_INHERITABLE, inheritable, last, err) < 0)
    return -1;
  if (cap_set_proc (state) < 0)
    return jr_error (err, errno, "capabilities: set effective/permitted/inheritable");

  /* Start from an empty ambient set: an exec'ing runtime may have inherited
     some. EINVAL = a kernel without ambient capabilities. */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    {
      if (errno == EINVAL)
        return 0;
      return jr_error (err, errno, "capabilities: clear the ambient set");
    }
  for (cap = 0; cap <= last; cap++)
    {
      if (!ambient[cap])
        continue;
      /* The kernel only allows ambient caps that are also permitted and
         inheritable; like runc, a config asking otherwise gets a warning
         rather than a failed container. */
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
        {
          char buf[32];
          jr_debug ("capabilities: cannot raise ambient `%s`: %s", cap_display_name (cap, buf),
                    strerror (errno));
        }
    }
  return 0;
}

char **
jr_caps_all_names (void)
{
  int last = kernel_last_cap ();
  char **names = xmalloc0 ((size_t)(last + 2) * sizeof (char *));
  size_t n = 0;
  int cap;

  for (cap = 0; cap <= last; cap++)
    {
      char buf[32];
      const char *name = cap_display_name (cap, buf);

      /* A number means libcap has no name for it: not something a config
         could ask for. */
      if (isdigit ((unsigned char)name[0]))
        continue;
      names[n++] = xasprintf ("%s", name);
    }
  names[n] = NULL;
  return names;
}
