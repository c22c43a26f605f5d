/* The command line: command words, flags, help and usage. */
#ifndef CLUSTERCTL_CLI_H
#define CLUSTERCTL_CLI_H

#include "app.h"

/* The commands: one or two words, the CMD_* id, a one-line summary.
 * Ends with an entry whose w1 is NULL. */
struct cli_command {
	const char *w1, *w2;
	unsigned id;
	const char *summary;
};
extern const struct cli_command cli_commands[];
/* The command named by argv[*i] (and argv[*i + 1]): its id in *cmd and
 * *i past it; -1 when the words name none. */
int cli_find_command(int argc, char **argv, int *i, unsigned *cmd);
/* "master init", "agent". */
void cli_command_name(const struct cli_command *c, char *buf, size_t size);

/* Parse argv into a, reading config file and environment on the way.
 * Returns -1 to continue with a->cmd, or an exit code to stop with
 * (help printed: 0; usage error: 2). */
int cli_parse(struct app *a, int argc, char **argv);
void cli_usage(FILE *f, unsigned cmd);

/* clusterctl __complete WORD... (completion.c): the words that may come
 * next, one per line, for the shell completion script; WORDs are what is
 * typed after "clusterctl", the last one being completed. */
int cli_complete(int nwords, char **words);

/* clusterctl help --json (cli-reference.c): every command, option,
 * environment variable, exit status and file, for tools and the test
 * that holds clusterctl(8) to it. */
int cli_reference_json(void);

#endif
