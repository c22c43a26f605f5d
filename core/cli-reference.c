/* clusterctl help --json: the command line as data.  Commands and options
 * come from their tables (cli.c, config.c); the environment variables
 * that are not options, the exit statuses and the files are listed here,
 * next to nothing else, so that one test can hold clusterctl(8) to what
 * this binary does (tests/integration/man-pages.sh). */
#include "autoconfig.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include <clusterctl/plugin.h>

#include "cli.h"
#include "util.h"

static const struct {
	int code;
	const char *meaning;
} exit_statuses[] = {
	{EXIT_OK, "success (also when there was nothing to change)"},
	{EXIT_FAILURE_, "the operation failed; the last ERROR line says why"},
	{EXIT_USAGE, "bad command line or configuration"},
	{EXIT_GAVE_UP, "node join gave up: its deadline passed while waiting"},
	{EXIT_REFUSED, "the controller refused the registration"},
};

/* Read with getenv() besides the CLUSTERCTL_<OPTION> family. */
static const struct {
	const char *name, *help;
} environment[] = {
	{"CLUSTERCTL_<PLUGIN>_<KEY>", "a plugin's option, e.g. CLUSTERCTL_GLUSTER_REPLICA"},
	{"NOTIFY_SOCKET", "set by systemd for Type=notify units: READY=1, STOPPING=1 and WATCHDOG=1 go there"},
	{"WATCHDOG_USEC", "set by systemd with WatchdogSec=: WATCHDOG=1 is sent every half of it"},
	{"WATCHDOG_PID", "set by systemd: the watchdog applies only to this process id"},
	{"CLUSTERCTL_NO_DLCLOSE", "keep plugins mapped at exit, so a leak checker can name their frames"},
};

static const struct {
	const char *path, *help;
} files[] = {
	{CLUSTERCTL_SYSCONFDIR "/clusterctl/clusterctl.conf", "the configuration file"},
	{CLUSTERCTL_SYSCONFDIR "/clusterctl/clusterctl.conf.sample", "every key, commented"},
	{CLUSTERCTL_SYSCONFDIR "/clusterctl/join-secret", "the join secret the agent unit reads"},
	{CLUSTERCTL_PLUGIN_DIR "/<kind>-<name>.so", "the plugins"},
	{"<state-dir>/join-secret", "the join token: secret and controller key pin (mode 0600)"},
	{"<state-dir>/controller.key", "the controller's TLS key (mode 0600)"},
	{"<state-dir>/controller.crt", "the controller's certificate (mode 0644)"},
	{"<state-dir>/manager-secret", "the manager token (mode 0600)"},
	{"<state-dir>/node-keys", "each node's pinned key"},
	{"/var/lib/clusterctl/node.key", "a node's own TLS key (mode 0600)"},
	{"/var/lib/clusterctl", "node-local state"},
#ifdef CLUSTERCTL_SYSTEMDUNITDIR
	{CLUSTERCTL_SYSTEMDUNITDIR "/clusterctl-master.service", "the controller as a service"},
	{CLUSTERCTL_SYSTEMDUNITDIR "/clusterctl-agent.service", "the node agent as a service"},
#endif
#ifdef CLUSTERCTL_BASHCOMPLETIONDIR
	{CLUSTERCTL_BASHCOMPLETIONDIR "/clusterctl", "bash completion"},
#endif
};

static const char *type_name(enum opt_type t)
{
	switch (t) {
	case OPT_STRING: return "string";
	case OPT_INT: return "int";
	case OPT_BOOL: return "bool";
	case OPT_LOGLEVEL: return "debug|info|warn|error";
	case OPT_ROLE: return "manager|worker";
	}
	return "?";
}

/* "state-dir" -> "CLUSTERCTL_STATE_DIR" or "state_dir" (config.c's rule). */
static json_object *spelled(const char *prefix, const char *name, bool upper)
{
	char buf[128];
	size_t n = strlen(prefix);

	if (n + strlen(name) >= sizeof buf)
		return NULL;
	memcpy(buf, prefix, n);
	for (const char *p = name; *p; p++)
		buf[n++] = *p == '-' ? '_' : upper ? (char)toupper((unsigned char)*p) : *p;
	buf[n] = '\0';
	return json_object_new_string(buf);
}

static json_object *command_names(unsigned mask)
{
	json_object *a = json_object_new_array();
	for (const struct cli_command *c = cli_commands; c->w1; c++) {
		char name[64];
		if (!(c->id & mask))
			continue;
		cli_command_name(c, name, sizeof name);
		json_object_array_add(a, json_object_new_string(name));
	}
	return a;
}

/* {"<k1>": v1, "<k2>": "<v2>"} appended to arr: the shape of every list
 * here but the options. */
static void add_pair(json_object *arr, const char *k1, json_object *v1, const char *k2, const char *v2)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, k1, v1);
	json_object_object_add(o, k2, json_object_new_string(v2));
	json_object_array_add(arr, o);
}

int cli_reference_json(void)
{
	json_object *root = json_object_new_object(), *cmds = json_object_new_array(),
		    *opts = json_object_new_array(), *env = json_object_new_array(),
		    *exits = json_object_new_array(), *fl = json_object_new_array();

	for (const struct cli_command *c = cli_commands; c->w1; c++) {
		char name[64];
		cli_command_name(c, name, sizeof name);
		add_pair(cmds, "Name", json_object_new_string(name), "Summary", c->summary);
	}
	for (const struct opt_def *d = config_opts; d->name; d++) {
		json_object *o = json_object_new_object();
		char flag[96];
		snprintf(flag, sizeof flag, "--%s", d->name);
		json_object_object_add(o, "Flag", json_object_new_string(flag));
		json_object_object_add(o, "Environment", spelled("CLUSTERCTL_", d->name, true));
		/* --config names the file: it cannot be a key inside one. */
		json_object_object_add(o, "FileKey", strcmp(d->name, "config") ? spelled("", d->name, false) : NULL);
		json_object_object_add(o, "Type", json_object_new_string(type_name(d->type)));
		json_object_object_add(o, "Default", d->defval ? json_object_new_string(d->defval) : NULL);
		json_object_object_add(o, "Commands", command_names(d->cmds));
		json_object_object_add(o, "Help", json_object_new_string(d->help));
		if (d->alias_of) {
			json_object_object_add(o, "AliasOf", json_object_new_string(d->alias_of));
			json_object_object_add(o, "AliasValue", json_object_new_string(d->alias_val));
		}
		json_object_array_add(opts, o);
	}
	for (size_t i = 0; i < sizeof environment / sizeof *environment; i++)
		add_pair(env, "Name", json_object_new_string(environment[i].name), "Help", environment[i].help);
	for (size_t i = 0; i < sizeof exit_statuses / sizeof *exit_statuses; i++)
		add_pair(exits, "Code", json_object_new_int(exit_statuses[i].code), "Meaning", exit_statuses[i].meaning);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		add_pair(fl, "Path", json_object_new_string(files[i].path), "Help", files[i].help);
	json_object_object_add(root, "Version", json_object_new_string(clusterctl_version()));
	json_object_object_add(root, "Commands", cmds);
	json_object_object_add(root, "Options", opts);
	json_object_object_add(root, "Environment", env);
	json_object_object_add(root, "ExitStatus", exits);
	json_object_object_add(root, "Files", fl);
	printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return EXIT_OK;
}
