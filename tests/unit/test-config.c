/* Configuration: precedence flags > CLUSTERCTL_* environment > file >
 * defaults, and every kind of config error is one clear message and
 * exit 2. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "app.h"
#include "cc-file.h"
#include "cli.h"
#include "config.h"
#include "util.h"

static char dir[] = "/tmp/clusterctl-config-XXXXXX";
static char created[32][256];
static int n_created;

static char *write_conf(const char *name, const char *text)
{
	static char path[256];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (n_created < 32)
		snprintf(created[n_created++], sizeof created[0], "%s", path);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* Run cli_parse on a NULL-terminated argv; returns its result and keeps
 * the parsed app in *a (caller frees). */
static int parse(struct app *a, const char *const *args)
{
	char *argv[32];
	int argc = 0;
	memset(a, 0, sizeof *a);
	argv[argc++] = (char *)"clusterctl";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return cli_parse(a, argc, argv);
}

static void drop(struct app *a) { config_free(&a->cfg); }

static void test_precedence(void)
{
	struct app a;
	char *conf = write_conf("prec.conf", "listen = \"127.0.0.1:7001\";\nmin_managers = 3;\n"
					     "wait_for_minimum = true;\nstate_dir = \"/tmp/from-file\";\n");
	char cfgarg[300];
	snprintf(cfgarg, sizeof cfgarg, "--config=%s", conf);

	unsetenv("CLUSTERCTL_LISTEN");
	is_int(parse(&a, (const char *[]){"master", "serve", NULL}), -1, "no sources: parses");
	is_str(a.cfg.listen, "0.0.0.0:7000", "default listen is 0.0.0.0:7000");
	is_int(a.cfg.max_managers, 7, "default max-managers is 7");
	ok(!a.cfg.wait_for_minimum, "wait-for-minimum is off by default");
	is_str(a.cfg.overlay_provider, "none", "default overlay provider is none");
	drop(&a);

	is_int(parse(&a, (const char *[]){"master", "serve", cfgarg, NULL}), -1, "file: parses");
	is_str(a.cfg.listen, "127.0.0.1:7001", "file beats default");
	is_int(a.cfg.min_managers, 3, "file integer applied");
	ok(a.cfg.wait_for_minimum, "file boolean applied");
	drop(&a);

	setenv("CLUSTERCTL_LISTEN", "127.0.0.1:7002", 1);
	is_int(parse(&a, (const char *[]){"master", "serve", cfgarg, NULL}), -1, "env: parses");
	is_str(a.cfg.listen, "127.0.0.1:7002", "environment beats file");
	is_str(a.cfg.state_dir, "/tmp/from-file", "file value kept where env is silent");
	drop(&a);

	is_int(parse(&a, (const char *[]){"master", "serve", cfgarg, "--listen", "127.0.0.1:7003", NULL}), -1,
	       "flag: parses");
	is_str(a.cfg.listen, "127.0.0.1:7003", "flag beats environment");
	drop(&a);
	is_int(parse(&a, (const char *[]){"master", "serve", "--listen=127.0.0.1:7004", NULL}), -1,
	       "--name=value form: parses");
	is_str(a.cfg.listen, "127.0.0.1:7004", "--name=value form applied");
	drop(&a);
	unsetenv("CLUSTERCTL_LISTEN");

	setenv("CLUSTERCTL_CONFIG", conf, 1);
	is_int(parse(&a, (const char *[]){"master", "serve", NULL}), -1, "CLUSTERCTL_CONFIG names the file");
	is_str(a.cfg.listen, "127.0.0.1:7001", "file from CLUSTERCTL_CONFIG applied");
	drop(&a);
	unsetenv("CLUSTERCTL_CONFIG");

	/* Spec aliases and plugin keys from all three sources. */
	conf = write_conf("plug.conf", "gluster = { brick_dir = \"/bricks\"; replica = 3; };\n");
	snprintf(cfgarg, sizeof cfgarg, "--config=%s", conf);
	setenv("CLUSTERCTL_GLUSTER_REPLICA", "2", 1);
	is_int(parse(&a, (const char *[]){"node", "join", "--master", "10.0.0.1:7000", cfgarg,
					  "--enable-glusterfs", "--gluster-volume", "vol1", NULL}),
	       -1, "plugin keys and aliases: parses");
	is_str(a.cfg.storage_provider, "gluster", "--enable-glusterfs selects the gluster storage plugin");
	is_str(config_plugin_get(&a.cfg, "gluster", "brick-dir"), "/bricks", "plugin key from a file group");
	is_str(config_plugin_get(&a.cfg, "gluster", "replica"), "2", "plugin key from the environment beats the file");
	is_str(config_plugin_get(&a.cfg, "gluster", "volume"), "vol1", "plugin key from a flag");
	is_int(a.cfg.role, ROLE_WORKER, "role defaults to worker");
	drop(&a);
	unsetenv("CLUSTERCTL_GLUSTER_REPLICA");

	setenv("CLUSTERCTL_SOMETHING_UNRELATED", "x", 1);
	setenv("CLUSTERCTL_MIN_MANAGERS", "5", 1);
	is_int(parse(&a, (const char *[]){"node", "join", "--master", "10.0.0.1:7000", NULL}), -1,
	       "unknown or other-command CLUSTERCTL_* variables are ignored");
	drop(&a);
	unsetenv("CLUSTERCTL_SOMETHING_UNRELATED");
	unsetenv("CLUSTERCTL_MIN_MANAGERS");
}

/* A config file error: exit code 2 from cli_parse, and config_error()
 * from config_load_file names the problem. */
static void file_error(const char *name, const char *text, const char *want, const char *what)
{
	struct config c;
	char *path = write_conf(name, text);
	char arg[300];
	struct app a;
	int r;

	config_init_defaults(&c);
	r = config_load_file(&c, path, CMD_MASTER_SERVE, true);
	ok(r < 0, "%s: refused", what);
	like(config_error(), want, "%s: message says so", what);
	config_free(&c);
	snprintf(arg, sizeof arg, "--config=%s", path);
	is_int(parse(&a, (const char *[]){"master", "serve", arg, NULL}), EXIT_USAGE, "%s: exit 2", what);
	drop(&a);
}

static void test_file_errors(void)
{
	char want[300];
	snprintf(want, sizeof want, "%s/syntax.conf:3: syntax error", dir);
	file_error("syntax.conf", "listen = \"0.0.0.0:7000\";\n\nmin_managers = = 3;\n", want,
		   "syntax error names file and line");
	file_error("unknown.conf", "listen = \"0.0.0.0:7000\";\nbogus_key = 1;\n", "unknown.conf:2: unknown key \"bogus_key\"",
		   "unknown key");
	file_error("type.conf", "min_managers = \"three\";\n", "min_managers has the wrong type (want an integer)",
		   "wrong type");
	file_error("booltype.conf", "wait_for_minimum = 1;\n", "wait_for_minimum has the wrong type (want true or false)",
		   "integer where a boolean is wanted");
	file_error("range.conf", "max_managers = 0;\n", "max-managers wants a whole number in 1..99, got \"0\"", "out-of-range count");
	file_error("neg.conf", "min_workers = -1;\n", "min-workers wants a whole number in 0..100000, got \"-1\"", "negative count");
	file_error("port.conf", "listen = \"0.0.0.0:99999\";\n", "must be IPv4:port", "out-of-range port");
	file_error("provider.conf", "overlay_provider = \"Wire Guard\";\n", "is not a plugin name", "bad provider name");
	file_error("level.conf", "log_level = \"loud\";\n", "log-level must be debug, info, warn or error",
		   "bad log level");
	file_error("group.conf", "listen = { a = 1; };\n", "listen wants a value, not a group", "group for a scalar");
	{
		struct config c;
		config_init_defaults(&c);
		ok(config_load_file(&c, "/nonexistent/clusterctl.conf", CMD_MASTER_SERVE, true) == -ENOENT,
		   "a named config file that does not exist is an error");
		ok(config_load_file(&c, "/nonexistent/clusterctl.conf", CMD_MASTER_SERVE, false) == 0,
		   "the default config file may be absent");
		config_free(&c);
	}
}

static void test_cli_errors(void)
{
	struct app a;
	is_int(parse(&a, (const char *[]){"frobnicate", NULL}), EXIT_USAGE, "unknown command: exit 2");
	drop(&a);
	is_int(parse(&a, (const char *[]){NULL}), EXIT_USAGE, "no command: exit 2");
	drop(&a);
	is_int(parse(&a, (const char *[]){"master", "serve", "--nosuchflag", NULL}), EXIT_USAGE,
	       "unknown flag: exit 2 (plugin-shaped ones are checked against the plugins, see plugin-loader.sh)");
	drop(&a);
	is_int(parse(&a, (const char *[]){"master", "serve", "--min-managers", "lots", NULL}), EXIT_USAGE,
	       "bad integer: exit 2");
	drop(&a);
	is_int(parse(&a, (const char *[]){"master", "serve", "--listen", NULL}), EXIT_USAGE,
	       "flag without its value: exit 2");
	drop(&a);
	is_int(parse(&a, (const char *[]){"node", "join", "--master", "10.0.0.1:7000", "--min-managers", "3", NULL}),
	       EXIT_USAGE, "a master-only flag on node join: exit 2");
	drop(&a);
	is_int(parse(&a, (const char *[]){"node", "join", "--master", "10.0.0.1", NULL}), EXIT_USAGE,
	       "master without a port: exit 2");
	drop(&a);
	is_int(parse(&a, (const char *[]){"node", "join", "--master", "10.0.0.1:7000", "--role", "boss", NULL}),
	       EXIT_USAGE, "bad role: exit 2");
	drop(&a);
	is_int(parse(&a, (const char *[]){"node", "join", "--master", "10.0.0.1:7000", "--ip", "10.0.0.300", NULL}),
	       EXIT_USAGE, "bad --ip: exit 2");
	drop(&a);
	setenv("CLUSTERCTL_MAX_MANAGERS", "many", 1);
	is_int(parse(&a, (const char *[]){"master", "serve", NULL}), EXIT_USAGE,
	       "a bad value in the environment for this command: exit 2");
	drop(&a);
	unsetenv("CLUSTERCTL_MAX_MANAGERS");
	is_int(parse(&a, (const char *[]){"master", "serve", "--help", NULL}), EXIT_OK, "--help: exit 0");
	drop(&a);
	is_int(parse(&a, (const char *[]){"help", "node", "join", NULL}), EXIT_OK, "help COMMAND: exit 0");
	drop(&a);
	is_int(parse(&a, (const char *[]){"--version", NULL}), EXIT_OK, "--version: exit 0");
	drop(&a);
}

/* The installed sample documents real keys only: uncomment every
 * "# key = value" line and it must load for every command. */
/* One check for every option, core or plugin: the words a boolean
 * accepts, and the one message for each way a value is wrong. */
static void test_value_check(void)
{
	static const char *const yes[] = {"true", "TRUE", "yes", "Yes", "on", "ON", "1"};
	static const char *const no[] = {"false", "False", "no", "NO", "off", "Off", "0"};
	long long ll = 0;
	bool b;

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		b = false;
		ok(config_check_value("flag", "x-on", NULL, OPT_BOOL, 0, 0, CONFIG_TEXT, yes[i], NULL, &b) == 0 && b,
		   "\"%s\" is a boolean true", yes[i]);
		b = true;
		ok(config_check_value("flag", "x-on", NULL, OPT_BOOL, 0, 0, CONFIG_TEXT, no[i], NULL, &b) == 0 && !b,
		   "\"%s\" is a boolean false", no[i]);
	}
	is_str(config_bool_word(true), "true", "a boolean reaches the program as \"true\"");
	is_str(config_bool_word(false), "false", "or \"false\"");
	ok(config_check_value("environment CLUSTERCTL_X_ON", "x-on", NULL, OPT_BOOL, 0, 0, CONFIG_TEXT, "maybe", NULL,
			      &b) == -EINVAL,
	   "any other word is refused");
	is_str(config_error(),
	       "environment CLUSTERCTL_X_ON: x-on wants a boolean: true/false, yes/no, on/off or 1/0 (any case), got "
	       "\"maybe\"",
	       "naming where it came from, the key and the accepted words");
	ok(config_check_value("command line", "x-port", NULL, OPT_INT, 1, 65535, CONFIG_TEXT, "70000", &ll, NULL) ==
		   -EINVAL,
	   "an integer out of range is refused");
	is_str(config_error(), "command line: x-port wants a whole number in 1..65535, got \"70000\"",
	       "with its range");
	ok(config_check_value("command line", "x-port", NULL, OPT_INT, 1, 65535, CONFIG_TEXT, "12ab", &ll, NULL) ==
		   -EINVAL,
	   "so is a word that is no number");
	ok(config_check_value("f.conf:3", "x-port", "port", OPT_INT, 1, 65535, CONFIG_FILE_INT, "51820", &ll, NULL) ==
			   0 &&
		   ll == 51820,
	   "an integer written as one in the file is taken");
	ok(config_check_value("f.conf:3", "x-port", "port", OPT_INT, 1, 65535, CONFIG_FILE_STRING, "51820", &ll,
			      NULL) == -EINVAL,
	   "the file must write an integer as one, as for core keys");
	is_str(config_error(), "f.conf:3: port has the wrong type (want an integer)", "the file's type is named");
	ok(config_check_value("f.conf:4", "x-on", "on", OPT_BOOL, 0, 0, CONFIG_FILE_INT, "1", NULL, &b) == -EINVAL,
	   "a boolean written as 1 in the file is refused, as for core keys");
	is_str(config_error(), "f.conf:4: on has the wrong type (want true or false)", "with the same message");
}

static void test_sample(void)
{
	const char *top = getenv("top_srcdir");
	char path[512], *text = NULL, *out, *o;
	size_t len;
	unsigned cmds[] = {CMD_MASTER_INIT, CMD_MASTER_SERVE, CMD_NODE_JOIN};

	snprintf(path, sizeof path, "%s/etc/clusterctl.conf.sample", top ? top : "..");
	if (cc_read_file(path, 1 << 20, &text, &len) < 0) {
		ok(0, "sample config readable at %s", path);
		return;
	}
	out = o = calloc(1, len + 1);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "# ", 2) == 0 && (line[2] == '}' || strchr(line, '=') || strstr(line, "= {")))
			line += 2;
		o += sprintf(o, "%s\n", line);
	}
	write_conf("sample.conf", out);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		struct config c;
		char p2[300];
		snprintf(p2, sizeof p2, "%s/sample.conf", dir);
		config_init_defaults(&c);
		if (!ok(config_load_file(&c, p2, cmds[i], true) == 0, "the sample with every key set loads (command %u)",
			cmds[i]))
			diag("%s", config_error());
		config_free(&c);
	}
	free(out);
	free(text);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 99;
	/* Usage text goes to stderr; keep the TAP stream readable. */
	if (!freopen("/dev/null", "w", stderr))
		return 99;
	unsetenv("CLUSTERCTL_CONFIG");
	test_precedence();
	test_file_errors();
	test_cli_errors();
	test_value_check();
	test_sample();
	for (int i = 0; i < n_created; i++)
		unlink(created[i]);
	rmdir(dir);
	return done_testing();
}
