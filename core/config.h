/* Typed configuration: defaults < config file (libconfig) < CLUSTERCTL_*
 * environment < flags.  One table row per option (config.c) defines its
 * flag (--state-dir), environment variable (CLUSTERCTL_STATE_DIR), file
 * key (state_dir), type, range and the commands that accept it. */
#ifndef CLUSTERCTL_CONFIG_H
#define CLUSTERCTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* Commands, as a bit mask for "which commands accept this option". */
enum cmd_id {
	CMD_MASTER_INIT = 1 << 0,
	CMD_MASTER_SERVE = 1 << 1,
	CMD_NODE_JOIN = 1 << 2,
	CMD_STATUS = 1 << 3,
	CMD_IP = 1 << 4,
	CMD_PLUGINS = 1 << 5,
	CMD_AGENT = 1 << 6,
	CMD_NODE_REMOVE = 1 << 7,
	/* The offline state tool (state-tool.c), apart from the others. */
	CMD_STATE_CHECK = 1 << 12,
	CMD_STATE_DUMP = 1 << 13,
	CMD_STATE_SALVAGE = 1 << 14,
};
#define CMD_STATE_TOOL (CMD_STATE_CHECK | CMD_STATE_DUMP | CMD_STATE_SALVAGE)
#define CMD_ALL 0xff

enum role { ROLE_WORKER = 0, ROLE_MANAGER = 1 };

struct config {
	/* common */
	char *config_file;
	char *plugin_dir;
	int log_level;
	char *log_file;
	char *overlay_provider;   /* "none" by default */
	char *overlay_config;     /* path to the provider's JSON options */
	char *storage_provider;   /* "none" by default; --enable-glusterfs sets it */
	char *docker_socket;

	/* master */
	char *state_dir;
	char *advertise_addr;
	char *listen;             /* "0.0.0.0:7000" */
	long long min_managers, min_workers, max_managers;
	bool wait_for_minimum;
	long long manager_join_timeout; /* s */
	long long max_request_bytes;
	long long request_timeout;      /* s */
	long long max_connections;
	long long max_connections_per_source;
	bool insecure_no_join_secret;
	bool insecure_plaintext;
	char *swarm_mtu;                /* "", "auto" or a number */
	long long stale_after;          /* s without a registration: the node is stale */
	char *metrics_listen;           /* "ip:port" of the /metrics listener, "" or NULL: off */

	/* node */
	char *master;                   /* "ip:port" */
	int role;                       /* enum role */
	char *join_secret;
	char *join_secret_file;
	char *ip, *hostname, *interface;
	char *exclude_interfaces;       /* comma-separated glob patterns */
	char *node_state_dir;
	long long join_deadline;        /* s */
	bool force, dry_run, watch;
	long long heartbeat_interval;   /* s */

	/* node remove NODE: the positional NODE */
	char *target_node;

	/* output */
	bool json;

	/* Plugin keys ("gluster-brick-dir" = value), validated once the
	 * plugins are discovered: see config_plugin_*. */
	struct config_kv {
		char *key, *value, *origin;
		int file_type; /* enum config_file_type: how the file wrote it */
	} *plugin_kv;
	size_t n_plugin_kv;
};

/* Option descriptors, for cli.c's parser and usage text. */
enum opt_type { OPT_STRING, OPT_INT, OPT_BOOL, OPT_LOGLEVEL, OPT_ROLE };
struct opt_def {
	const char *name;      /* flag name without "--" */
	enum opt_type type;
	size_t offset;         /* into struct config; (size_t)-1 for aliases */
	const char *defval;
	long long min, max;
	unsigned cmds;         /* CMD_* mask */
	const char *help;
	const char *alias_of;  /* alias: sets option alias_of ... */
	const char *alias_val; /* ... to this value */
};
extern const struct opt_def config_opts[];

/* How a config file wrote a value (libconfig's types); CONFIG_TEXT for
 * the environment and flags, which are words. */
enum config_file_type { CONFIG_TEXT = 0, CONFIG_FILE_INT, CONFIG_FILE_BOOL, CONFIG_FILE_STRING };

/* The one check of a value against a type, for core options and plugin
 * keys alike (same words, same messages): a whole number in [min, max];
 * a boolean as true/false, yes/no, on/off or 1/0 in any case; a string
 * of at most 4096 bytes.  From a file the value must also have been
 * written as that type (an integer, true/false, a string).  `name` is
 * the option as a flag ("max-managers", "gluster-replica"), `file_key`
 * how the file spells it.  On success *ll or *b holds the value (either
 * may be NULL); else -EINVAL and config_error() says what is wrong. */
int config_check_value(const char *origin, const char *name, const char *file_key, enum opt_type type,
		       long long min, long long max, int file_type, const char *value, long long *ll, bool *b);
/* "true" or "false": how every boolean reaches the program and plugins. */
const char *config_bool_word(bool b);
const struct opt_def *config_opt_find(const char *name);

/* Error text for the last failing call (static storage). */
const char *config_error(void);

void config_init_defaults(struct config *c);
/* Load a libconfig file.  `required`: a missing file is an error. */
int config_load_file(struct config *c, const char *path, unsigned cmd, bool required);
int config_load_env(struct config *c, unsigned cmd, char **environ_);
/* Set one option by name ("state-dir"), from `origin` ("flag", "env
 * CLUSTERCTL_X", "file:line").  Unknown names of the form word-word are
 * kept as plugin keys; returns -ENOENT for other unknown names, -EINVAL
 * for a bad value, -EPERM when the command does not accept it. */
int config_set(struct config *c, const char *name, const char *value, const char *origin,
	       unsigned cmd);
/* config_set() for a value read from a config file, with its type. */
int config_set_typed(struct config *c, const char *name, const char *value, const char *origin, unsigned cmd,
		     int file_type);
/* Cross-field checks once every source is applied: formats of addresses,
 * provider names, relations between counts. */
int config_validate(const struct config *c, unsigned cmd);
/* Plugin key lookup ("gluster", "brick-dir"); NULL when unset. */
const char *config_plugin_get(const struct config *c, const char *plugin, const char *key);
void config_free(struct config *c);

#endif
