#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clusterctl/plugin.h>

#include "cli.h"
#include "harden.h"
#include "log.h"
#include "plugin-list.h"
#include "util.h"

extern char **environ;

const struct cli_command cli_commands[] = {
	{"master", "init", CMD_MASTER_INIT, "prepare this host as the first Swarm manager (and Gluster brick)"},
	{"master", "serve", CMD_MASTER_SERVE, "run the controller: answer node registrations over TCP"},
	{"node", "join", CMD_NODE_JOIN, "register with the controller and converge overlay, Swarm, storage"},
	{"node", "remove", CMD_NODE_REMOVE, "on the master: take NODE out of the cluster for good"},
	{"agent", NULL, CMD_AGENT, "node join --watch: stay running, heartbeat, apply changes"},
	{"status", NULL, CMD_STATUS, "the cluster as the controller knows it"},
	{"ip", NULL, CMD_IP, "print the address IP detection chooses, and why"},
	{"plugins", NULL, CMD_PLUGINS, "list installed plugins and refused files"},
	{"state", "check", CMD_STATE_CHECK, "verify the controller's state files offline: clean, or file and offset"},
	{"state", "dump", CMD_STATE_DUMP, "print what the controller's state files hold (--json)"},
	{"state", "salvage", CMD_STATE_SALVAGE, "keep every record that verifies in a new generation"},
	{NULL, NULL, 0, NULL},
};

void cli_command_name(const struct cli_command *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", c->w1, c->w2 ? " " : "", c->w2 ? c->w2 : "");
}

static const struct cli_command *command_by_id(unsigned id)
{
	for (const struct cli_command *c = cli_commands; c->w1; c++)
		if (c->id == id)
			return c;
	return NULL;
}

void cli_usage(FILE *f, unsigned cmd)
{
	const struct cli_command *c = command_by_id(cmd);

	if (!c) {
		fprintf(f, "Usage: clusterctl COMMAND [OPTIONS]\n\nCommands:\n");
		for (c = cli_commands; c->w1; c++)
		{
			char name[32];
			cli_command_name(c, name, sizeof name);
			fprintf(f, "  %-14s %s\n", name, c->summary);
		}
		fprintf(f, "  %-14s %s\n  %-14s %s\n  %-14s %s\n", "help [COMMAND]",
			"this text, or a command's options", "help --json",
			"every command, option, variable, exit status and file, as JSON", "--version",
			"version and plugin ABI");
		fprintf(f, "\nRun 'clusterctl COMMAND --help' for a command's options; see clusterctl(8).\n");
		return;
	}
	fprintf(f, "Usage: clusterctl %s%s%s [OPTIONS]\n%s.\n\nOptions (flag > CLUSTERCTL_* environment > config file > default):\n",
		c->w1, c->w2 ? " " : "", c->w2 ? c->w2 : "", c->summary);
	for (const struct opt_def *o = config_opts; o->name; o++) {
		char left[64];
		if (!(o->cmds & cmd))
			continue;
		snprintf(left, sizeof left, "--%s%s", o->name,
			 o->type == OPT_BOOL ? "" : o->type == OPT_INT ? " N" : " VALUE");
		fprintf(f, "  %-30s %s", left, o->help);
		if (o->defval && o->type != OPT_BOOL)
			fprintf(f, " [%s]", o->defval);
		fputc('\n', f);
	}
	fprintf(f, "  %-30s %s\n", "--PLUGIN-KEY VALUE", "a plugin's own option (see 'clusterctl plugins')");
	fprintf(f, "  %-30s %s\n", "-h, --help", "this text");
}

static int usage_error(unsigned cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(unsigned cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "clusterctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n");
	cli_usage(stderr, cmd);
	return EXIT_USAGE;
}

int cli_find_command(int argc, char **argv, int *i, unsigned *cmd)
{
	for (const struct cli_command *c = cli_commands; c->w1; c++) {
		if (*i >= argc || strcmp(argv[*i], c->w1) != 0)
			continue;
		if (c->w2) {
			if (*i + 1 >= argc || strcmp(argv[*i + 1], c->w2) != 0)
				continue;
			*i += 2;
		} else {
			*i += 1;
		}
		*cmd = c->id;
		return 0;
	}
	return -1;
}

/* Split "--name=value" / "--name value" / "--bool".  A known boolean never
 * takes the next word; an unknown (plugin) flag takes it unless it is
 * another flag. */
struct flag {
	const char *name;
	size_t name_len;
	const char *value;
};

static int next_flag(int argc, char **argv, int *i, struct flag *fl, char *namebuf, size_t nbsz,
		     unsigned cmd)
{
	const char *a = argv[*i], *eq;
	const struct opt_def *o;

	if (strncmp(a, "--", 2) != 0 || !a[2])
		return usage_error(cmd, "unexpected argument \"%s\"", a);
	a += 2;
	eq = strchr(a, '=');
	fl->name_len = eq ? (size_t)(eq - a) : strlen(a);
	if (fl->name_len >= nbsz)
		return usage_error(cmd, "option name too long");
	memcpy(namebuf, a, fl->name_len);
	namebuf[fl->name_len] = '\0';
	fl->name = namebuf;
	(*i)++;
	if (eq) {
		fl->value = eq + 1;
		return -1;
	}
	o = config_opt_find(namebuf);
	if (o && o->type == OPT_BOOL) {
		fl->value = "true";
		return -1;
	}
	if (*i < argc && strncmp(argv[*i], "--", 2) != 0) {
		fl->value = argv[(*i)++];
		return -1;
	}
	if (o)
		return usage_error(cmd, "option --%s needs a value", namebuf);
	fl->value = "true";
	return -1;
}

int cli_parse(struct app *a, int argc, char **argv)
{
	char namebuf[128];
	const char *cfgfile = NULL;
	bool cfg_required = false;
	unsigned cmd = 0;
	int i = 1, r;

	if (argc < 2)
		return usage_error(0, "no command given");
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("clusterctl %s (plugin ABI %d.%d)\n", clusterctl_version(), CLUSTERCTL_PLUGIN_ABI_MAJOR,
		       CLUSTERCTL_PLUGIN_ABI_MINOR);
		return EXIT_OK;
	}
	/* Hidden: the completion script's question (completion.c). */
	if (strcmp(argv[1], "__complete") == 0)
		return cli_complete(argc - 2, argv + 2);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc == 3 && strcmp(argv[2], "--json") == 0)
			return cli_reference_json();
		i = 2;
		if (i < argc && cli_find_command(argc, argv, &i, &cmd) < 0)
			return usage_error(0, "unknown command \"%s\"", argv[2]);
		cli_usage(stdout, cmd);
		plugin_usage_providers(stdout, cmd, argc, argv, i);
		return EXIT_OK;
	}
	if (cli_find_command(argc, argv, &i, &cmd) < 0)
		return usage_error(0, "unknown command \"%s%s%s\"", argv[1], argc > 2 ? " " : "",
				   argc > 2 ? argv[2] : "");
	a->cmd = cmd;

	/* First pass: help and the config file, which must be read before
	 * the environment and flags that override it. */
	for (int j = i; j < argc; j++) {
		if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
			cli_usage(stdout, cmd);
			plugin_usage_providers(stdout, cmd, argc, argv, i);
			return EXIT_OK;
		}
		if (strncmp(argv[j], "--config=", 9) == 0) {
			cfgfile = argv[j] + 9;
			cfg_required = true;
		} else if (strcmp(argv[j], "--config") == 0) {
			if (j + 1 >= argc)
				return usage_error(cmd, "option --config needs a value");
			cfgfile = argv[++j];
			cfg_required = true;
		}
	}
	if (!cfgfile && getenv("CLUSTERCTL_CONFIG")) {
		cfgfile = getenv("CLUSTERCTL_CONFIG");
		cfg_required = true;
	}
	if (!cfgfile)
		cfgfile = CLUSTERCTL_SYSCONFDIR "/clusterctl/clusterctl.conf";

	config_init_defaults(&a->cfg);
	if (config_load_file(&a->cfg, cfgfile, cmd, cfg_required) < 0)
		return usage_error(cmd, "%s", config_error());
	if (cfg_required || access(cfgfile, F_OK) == 0) {
		free(a->cfg.config_file);
		a->cfg.config_file = strdup(cfgfile);
	}
	if (config_load_env(&a->cfg, cmd, environ) < 0)
		return usage_error(cmd, "%s", config_error());
	while (i < argc) {
		struct flag fl = {0};
		/* node remove NODE: the one word that is not a flag. */
		if (cmd == CMD_NODE_REMOVE && argv[i][0] != '-' && !a->cfg.target_node) {
			if (!(a->cfg.target_node = strdup(argv[i++])))
				return usage_error(cmd, "out of memory");
			continue;
		}
		if ((r = next_flag(argc, argv, &i, &fl, namebuf, sizeof namebuf, cmd)) >= 0)
			return r;
		if (strcmp(fl.name, "config") == 0)
			continue;
		if (config_set(&a->cfg, fl.name, fl.value, "command line", cmd) < 0)
			return usage_error(cmd, "%s", config_error());
		if (strcmp(fl.name, "join-secret") == 0) {
			/* Copied now: take it out of /proc/<pid>/cmdline, which
			 * every user can read (the warning still stands: it was
			 * there until this moment, and in the shell's history). */
			harden_wipe((char *)fl.value);
			log_warn("--join-secret on the command line is readable by every user of this host (ps, "
				 "/proc/<pid>/cmdline) and kept in shell history; use --join-secret-file FILE, "
				 "--join-secret-file - (standard input) or CLUSTERCTL_JOIN_SECRET");
		}
	}
	/* The configuration holds its own copy of the secret. */
	harden_wipe_env("CLUSTERCTL_JOIN_SECRET");
	if (config_validate(&a->cfg, cmd) < 0)
		return usage_error(cmd, "%s", config_error());
	if (cmd == CMD_NODE_REMOVE && !a->cfg.target_node)
		return usage_error(cmd, "node remove needs the node: its host name or NodeID (clusterctl status lists them)");
	log_set_level(a->cfg.log_level);
	if (a->cfg.log_file && (r = log_set_file(a->cfg.log_file)) < 0)
		return usage_error(cmd, "cannot open log file %s: %s", a->cfg.log_file, strerror(-r));
	return -1;
}
