/* The command line: command words, flags, help and usage. */
#ifndef CLUSTERCTL_CLI_H
#define CLUSTERCTL_CLI_H

#include "app.h"

/* Parse argv into a, reading config file and environment on the way.
 * Returns -1 to continue with a->cmd, or an exit code to stop with
 * (help printed: 0; usage error: 2). */
int cli_parse(struct app *a, int argc, char **argv);
void cli_usage(FILE *f, unsigned cmd);

#endif
