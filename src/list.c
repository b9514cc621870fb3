/* jitrun list: every container of the state root, as a table or JSON. */
#define _GNU_SOURCE
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "libjitrun/utils.h"

static const char usage[] = "USAGE:\n"
                            "   jitrun list [command options]\n"
                            "\n"
                            "List the containers of the state root (--root).\n"
                            "\n"
                            "OPTIONS:\n"
                            "   --format FMT, -f FMT  table (default) or json\n"
                            "   --quiet, -q           display only container IDs\n";

#define NCOLS 6

/* Columns as Go's tabwriter lays them out for runc (minimum width 12,
   padding 3): every column but the last is padded to its widest cell. */
static int
print_table (struct oci_state **states, size_t n, jr_error_t *err)
{
  static const char *const header[NCOLS] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  char ***cells = xmalloc0 ((n + 1) * sizeof (char **));
  size_t width[NCOLS];
  size_t i, j;
  int ret = 0;

  cells[0] = xmalloc0 (NCOLS * sizeof (char *));
  for (j = 0; j < NCOLS; j++)
    cells[0][j] = xstrdup (header[j]);
  for (i = 0; i < n; i++)
    {
      char **row = cells[i + 1] = xmalloc0 (NCOLS * sizeof (char *));
      row[0] = xstrdup (states[i]->id ? states[i]->id : "");
      row[1] = xasprintf ("%d", states[i]->pid);
      row[2] = xstrdup (states[i]->status ? states[i]->status : "");
      row[3] = xstrdup (states[i]->bundle ? states[i]->bundle : "");
      row[4] = xstrdup (states[i]->created ? states[i]->created : "");
      row[5] = xstrdup (states[i]->owner ? states[i]->owner : "");
    }
  for (j = 0; j < NCOLS; j++)
    {
      width[j] = 12;
      for (i = 0; i <= n; i++)
        if (strlen (cells[i][j]) + 3 > width[j])
          width[j] = strlen (cells[i][j]) + 3;
    }
  for (i = 0; i <= n; i++)
    {
      for (j = 0; j < NCOLS; j++)
        {
          if (j + 1 < NCOLS)
            printf ("%-*s", (int)width[j], cells[i][j]);
          else
            printf ("%s\n", cells[i][j]);
          free (cells[i][j]);
        }
      free (cells[i]);
    }
  free (cells);
  if (fflush (stdout) != 0 || ferror (stdout))
    ret = jr_error (err, errno, "write to stdout");
  return ret;
}

int
jr_cmd_list (const struct jr_global *g, int argc, char **argv, jr_error_t *err)
{
  static const struct option longopts[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const struct jr_cli_spec spec = { "list", usage, "f:qh", longopts };
  const char *format = "table";
  struct oci_state **states = NULL;
  bool quiet = false;
  size_t n = 0, i;
  int ret = 0;
  int c;

  jr_cli_reset ();
  while ((c = jr_cli_getopt (&spec, argc, argv, err)) > 0)
    {
      if (c == 'f')
        format = optarg;
      else if (c == 'q')
        quiet = true;
    }
  if (jr_cli_done (c) <= 0)
    return jr_cli_done (c);
  if (jr_cli_check_args (&spec, argc - optind, 0, 0, err) < 0)
    return -1;
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return jr_error (err, 0, "invalid format option `%s`: expected table or json", format);

  if (jr_container_list (g, &states, &n, err) < 0)
    return -1;

  if (quiet)
    {
      for (i = 0; i < n && ret == 0; i++)
        ret = jr_cli_print (states[i]->id, err);
    }
  else if (strcmp (format, "json") == 0)
    {
      char *json = oci_state_list_to_json (states, n);
      if (json == NULL)
        ret = jr_error (err, 0, "list: cannot serialize the states");
      else
        ret = jr_cli_print (json, err);
      free (json);
    }
  else
    ret = print_table (states, n, err);

  for (i = 0; i < n; i++)
    oci_state_free (states[i]);
  free (states);
  return ret < 0 ? -1 : 0;
}
