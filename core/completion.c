/* Shell completion, answered by the program itself: the installed bash
 * script (etc/completion/clusterctl) runs `clusterctl __complete WORD...`
 * at each TAB and offers what this prints.  The words come from the
 * command table, the option table and the plugins installed right now,
 * so a newly installed plugin's options complete without a new script.
 *
 * Output: candidate words, one per line, or the single line "@dir" or
 * "@file" when the word is a path (the script completes it from the
 * file system).  The shell filters by the typed prefix. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "plugin-loader.h"

/* Paths by name: options and plugin keys ending in "dir" hold
 * directories; "file", "config" and "socket" files (DEVELOPERS.md). */
static const char *path_kind(const char *name)
{
	size_t n = strlen(name);
	static const char *const files[] = {"file", "config", "socket"};

	if (n >= 3 && strcmp(name + n - 3, "dir") == 0)
		return "@dir";
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		size_t l = strlen(files[i]);
		if (n >= l && strcmp(name + n - l, files[i]) == 0)
			return "@file";
	}
	return NULL;
}

/* --plugin-dir given earlier on the line, else the environment's, else
 * the built-in one.  The config file is not read: a broken file must not
 * break completion. */
static const char *plugin_dir(int n, char **w)
{
	const char *dir = getenv("CLUSTERCTL_PLUGIN_DIR");

	for (int i = 0; i < n; i++) {
		if (strcmp(w[i], "--plugin-dir") == 0 && i + 1 < n)
			dir = w[i + 1];
		else if (strncmp(w[i], "--plugin-dir=", 13) == 0)
			dir = w[i] + 13;
	}
	return dir && *dir ? dir : CLUSTERCTL_PLUGIN_DIR;
}

/* "gluster-replica": the option "replica" of an installed "gluster". */
static const struct clusterctl_config_key *plugin_key(const struct plugin_registry *reg, const char *flag)
{
	for (size_t i = 0; i < reg->n; i++) {
		const char *name = reg->v[i]->desc.name;
		size_t nl = strlen(name);
		if (strncmp(flag, name, nl) == 0 && flag[nl] == '-')
			return plugin_config_key(reg->v[i], flag + nl + 1);
	}
	return NULL;
}

/* The value after --NAME; returns false when NAME takes no value (the
 * next word is another flag). */
static bool complete_value(const struct plugin_registry *reg, const char *name)
{
	const struct opt_def *o = config_opt_find(name);
	const struct clusterctl_config_key *k;
	const char *path = path_kind(name);

	if (o) {
		if (o->type == OPT_BOOL)
			return false;
		if (o->type == OPT_LOGLEVEL)
			printf("debug\ninfo\nwarn\nerror\n");
		else if (o->type == OPT_ROLE)
			printf("manager\nworker\n");
		else if (strcmp(name, "overlay-provider") == 0 || strcmp(name, "storage-provider") == 0) {
			uint32_t kind = name[0] == 'o' ? CLUSTERCTL_PLUGIN_OVERLAY : CLUSTERCTL_PLUGIN_STORAGE;
			for (size_t i = 0; i < reg->n; i++)
				if (reg->v[i]->desc.kind == kind)
					printf("%s\n", reg->v[i]->desc.name);
		} else if (path)
			printf("%s\n", path);
		return true;
	}
	if ((k = plugin_key(reg, name))) {
		if (k->type == CLUSTERCTL_CONFIG_BOOL)
			return false;
		if (k->type == CLUSTERCTL_CONFIG_STRING && path)
			printf("%s\n", path);
		return true;
	}
	return false; /* unknown: treat as a flag, offer flags */
}

static void complete_flags(const struct plugin_registry *reg, unsigned cmd)
{
	for (const struct opt_def *o = config_opts; o->name; o++)
		if (o->cmds & cmd)
			printf("--%s\n", o->name);
	if (cmd != CMD_IP)
		for (size_t i = 0; i < reg->n; i++) {
			const struct clusterctl_plugin *d = &reg->v[i]->desc;
			for (const struct clusterctl_config_key *k = d->config_keys; k && k->name; k++)
				printf("--%s-%s\n", d->name, k->name);
		}
	printf("--help\n");
}

/* Second words of the commands whose first word is w1. */
static bool complete_second(const char *w1)
{
	bool any = false;
	for (const struct cli_command *c = cli_commands; c->w1; c++)
		if (c->w2 && strcmp(c->w1, w1) == 0) {
			printf("%s\n", c->w2);
			any = true;
		}
	return any;
}

static void complete_first(void)
{
	const char *last = NULL;
	for (const struct cli_command *c = cli_commands; c->w1; c++) {
		if (!last || strcmp(last, c->w1) != 0)
			printf("%s\n", c->w1);
		last = c->w1;
	}
	printf("help\n--version\n--help\n");
}

int cli_complete(int nwords, char **words)
{
	struct plugin_registry reg = {0};
	int done = nwords > 0 ? nwords - 1 : 0; /* complete words; the last is being typed */
	unsigned cmd = 0;
	int used = 0;

	/* Nothing may reach the terminal but the candidates. */
	log_set_level(CLUSTERCTL_LOG_ERROR + 1);
	if (done == 0) {
		complete_first();
		return EXIT_OK;
	}
	if (strcmp(words[0], "help") == 0) {
		if (done == 1)
			complete_first();
		else if (done == 2)
			complete_second(words[1]);
		return EXIT_OK;
	}
	if (cli_find_command(done, words, &used, &cmd) < 0) {
		if (done == 1)
			complete_second(words[0]);
		return EXIT_OK;
	}
	if (cmd != CMD_IP)
		plugin_registry_scan(&reg, plugin_dir(done, words));
	if (done > used && strncmp(words[done - 1], "--", 2) == 0 && !strchr(words[done - 1], '=') &&
	    complete_value(&reg, words[done - 1] + 2))
		goto out;
	complete_flags(&reg, cmd);
out:
	plugin_registry_free(&reg);
	return EXIT_OK;
}
