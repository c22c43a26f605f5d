#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc-net.h"
#include "config.h"
#include "log.h"
#include "util.h"

#define OFF(f) offsetof(struct config, f)
#define MASTER (CMD_MASTER_INIT | CMD_MASTER_SERVE)
#define NODE (CMD_NODE_JOIN | CMD_AGENT)
#define NOALIAS NULL, NULL

/* Interfaces that belong to container runtimes and virtual switches:
 * never a host's own address (see clusterctl(8), IP DETECTION). */
#define DEFAULT_EXCLUDES                                                                           \
	"docker0,docker_gwbridge,br-*,veth*,cni*,flannel*,cali*,vxlan*,virbr*,lxcbr*,lxdbr*,"      \
	"podman*,kube-*,weave*,tunl*,vethwe*,nerdctl*,cilium*"

const struct opt_def config_opts[] = {
	{"config", OPT_STRING, OFF(config_file), NULL, 0, 0, CMD_ALL | CMD_STATE_TOOL,
	 "libconfig file (default " CLUSTERCTL_SYSCONFDIR "/clusterctl/clusterctl.conf when present)", NOALIAS},
	{"plugin-dir", OPT_STRING, OFF(plugin_dir), CLUSTERCTL_PLUGIN_DIR, 0, 0, CMD_ALL,
	 "directory holding the provider plugins", NOALIAS},
	{"log-level", OPT_LOGLEVEL, OFF(log_level), "info", 0, 0, CMD_ALL | CMD_STATE_TOOL, "debug, info, warn or error",
	 NOALIAS},
	{"log-file", OPT_STRING, OFF(log_file), NULL, 0, 0, CMD_ALL | CMD_STATE_TOOL, "also append log lines to this file",
	 NOALIAS},
	{"overlay-provider", OPT_STRING, OFF(overlay_provider), "none", 0, 0, CMD_ALL & ~CMD_IP,
	 "overlay plugin: none, wireguard, tailscale, netbird, or any installed one", NOALIAS},
	{"overlay-config", OPT_STRING, OFF(overlay_config), NULL, 0, 0, MASTER | NODE,
	 "JSON file with the overlay provider's options (secrets stay out of argv)", NOALIAS},
	{"storage-provider", OPT_STRING, OFF(storage_provider), "none", 0, 0, CMD_ALL & ~CMD_IP,
	 "storage plugin: none, gluster, or any installed one", NOALIAS},
	{"enable-glusterfs", OPT_BOOL, (size_t)-1, NULL, 0, 0, CMD_ALL & ~CMD_IP,
	 "same as --storage-provider gluster", "storage-provider", "gluster"},
	{"disable-glusterfs", OPT_BOOL, (size_t)-1, NULL, 0, 0, CMD_ALL & ~CMD_IP,
	 "same as --storage-provider none", "storage-provider", "none"},
	{"docker-socket", OPT_STRING, OFF(docker_socket), "/var/run/docker.sock", 0, 0,
	 MASTER | NODE | CMD_STATUS, "Docker Engine API unix socket", NOALIAS},

	{"state-dir", OPT_STRING, OFF(state_dir), "/data/GlusterFS/0001/orchestration", 0, 0,
	 MASTER | CMD_STATUS | CMD_NODE_REMOVE | CMD_STATE_TOOL, "controller state directory", NOALIAS},
	{"advertise-addr", OPT_STRING, OFF(advertise_addr), NULL, 0, 0, MASTER,
	 "address the Swarm is advertised on (default: detected)", NOALIAS},
	{"listen", OPT_STRING, OFF(listen), "0.0.0.0:7000", 0, 0, MASTER,
	 "controller listen address ip:port (master init prints the join line for it)", NOALIAS},
	{"min-managers", OPT_INT, OFF(min_managers), "0", 0, 1000, CMD_MASTER_SERVE,
	 "managers to wait for with --wait-for-minimum", NOALIAS},
	{"min-workers", OPT_INT, OFF(min_workers), "0", 0, 100000, CMD_MASTER_SERVE,
	 "workers to wait for with --wait-for-minimum", NOALIAS},
	{"wait-for-minimum", OPT_BOOL, OFF(wait_for_minimum), "false", 0, 0, CMD_MASTER_SERVE,
	 "answer \"waiting\" until the minimum counts are registered", NOALIAS},
	{"max-managers", OPT_INT, OFF(max_managers), "7", 1, 99, CMD_MASTER_SERVE,
	 "further manager requests become workers (odd counts recommended)", NOALIAS},
	{"manager-join-timeout", OPT_INT, OFF(manager_join_timeout), "120", 1, 86400, CMD_MASTER_SERVE,
	 "seconds a manager token handed out blocks the next manager", NOALIAS},
	{"max-request-bytes", OPT_INT, OFF(max_request_bytes), "65536", 256, 16777216, CMD_MASTER_SERVE,
	 "largest registration accepted", NOALIAS},
	{"request-timeout", OPT_INT, OFF(request_timeout), "10", 1, 600, CMD_MASTER_SERVE,
	 "seconds a client has to send its whole request", NOALIAS},
	{"max-connections", OPT_INT, OFF(max_connections), "2048", 1, 1000000, CMD_MASTER_SERVE,
	 "open client connections at most", NOALIAS},
	{"metrics-listen", OPT_STRING, OFF(metrics_listen), NULL, 0, 0, CMD_MASTER_SERVE,
	 "serve Prometheus metrics at http://ADDR:PORT/metrics (off by default)", NOALIAS},
	{"stale-after", OPT_INT, OFF(stale_after), "90", 1, 86400, CMD_MASTER_SERVE,
	 "seconds without a registration after which status shows a node as stale (3 heartbeats)", NOALIAS},
	{"max-connections-per-source", OPT_INT, OFF(max_connections_per_source), "64", 0, 1000000, CMD_MASTER_SERVE,
	 "open connections from one IPv4 address at most (0: no limit)", NOALIAS},
	{"insecure-no-join-secret", OPT_BOOL, OFF(insecure_no_join_secret), "false", 0, 0, MASTER,
	 "serve without a join secret (anyone reaching the port gets Swarm tokens)", NOALIAS},
	{"insecure-plaintext", OPT_BOOL, OFF(insecure_plaintext), "false", 0, 0,
	 MASTER | NODE | CMD_STATUS | CMD_NODE_REMOVE,
	 "plain TCP to the controller instead of TLS (both sides; secrets readable on the network)", NOALIAS},
	{"swarm-mtu", OPT_STRING, OFF(swarm_mtu), NULL, 0, 0, CMD_MASTER_INIT,
	 "MTU of Swarm's ingress network: a number or \"auto\" (overlay MTU - 50; the default when the overlay's MTU is below 1500)", NOALIAS},

	{"master", OPT_STRING, OFF(master), NULL, 0, 0, NODE | CMD_STATUS | CMD_NODE_REMOVE, "controller address ip:port",
	 NOALIAS},
	{"role", OPT_ROLE, OFF(role), "worker", 0, 0, NODE, "manager or worker", NOALIAS},
	{"join-secret", OPT_STRING, OFF(join_secret), NULL, 0, 0, NODE | CMD_STATUS | CMD_NODE_REMOVE,
	 "the cluster's join secret (prefer --join-secret-file or CLUSTERCTL_JOIN_SECRET)", NOALIAS},
	{"join-secret-file", OPT_STRING, OFF(join_secret_file), NULL, 0, 0, NODE | CMD_STATUS | CMD_NODE_REMOVE,
	 "file holding the join secret", NOALIAS},
	{"ip", OPT_STRING, OFF(ip), NULL, 0, 0, NODE | CMD_MASTER_INIT | CMD_IP,
	 "use this IPv4 address instead of detecting one", NOALIAS},
	{"hostname", OPT_STRING, OFF(hostname), NULL, 0, 0, NODE, "node name to register", NOALIAS},
	{"interface", OPT_STRING, OFF(interface), NULL, 0, 0, NODE | MASTER | CMD_IP,
	 "take the address from this interface", NOALIAS},
	{"exclude-interfaces", OPT_STRING, OFF(exclude_interfaces), DEFAULT_EXCLUDES, 0, 0,
	 NODE | MASTER | CMD_IP, "comma-separated name patterns never chosen by IP detection", NOALIAS},
	{"node-state-dir", OPT_STRING, OFF(node_state_dir), "/var/lib/clusterctl", 0,
	 0, NODE | CMD_MASTER_INIT | CMD_MASTER_SERVE, "node-local state (NodeID, keys; the plugins' data dirs)",
	 NOALIAS},
	{"join-deadline", OPT_INT, OFF(join_deadline), "600", 1, 604800, NODE,
	 "seconds node join keeps trying before it gives up", NOALIAS},
	{"force", OPT_BOOL, OFF(force), "false", 0, 0, NODE | CMD_NODE_REMOVE,
	 "node join: leave another swarm this node belongs to, then join; node remove: past the quorum and "
	 "up-node guards", NOALIAS},
	{"dry-run", OPT_BOOL, OFF(dry_run), "false", 0, 0, CMD_MASTER_INIT | CMD_NODE_JOIN,
	 "print the plan, change nothing", NOALIAS},
	{"watch", OPT_BOOL, OFF(watch), "false", 0, 0, CMD_NODE_JOIN,
	 "keep running: heartbeat and apply changes (as clusterctl agent)", NOALIAS},
	{"heartbeat-interval", OPT_INT, OFF(heartbeat_interval), "30", 1, 86400, NODE,
	 "seconds between re-registrations with --watch", NOALIAS},
	{"json", OPT_BOOL, OFF(json), "false", 0, 0, CMD_STATUS | CMD_IP | CMD_PLUGINS | CMD_STATE_DUMP, "JSON output",
	 NOALIAS},
	{NULL, 0, 0, NULL, 0, 0, 0, NULL, NOALIAS},
};

static char errbuf[512];

const char *config_error(void) { return errbuf; }

static int set_error(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_error(int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof errbuf, fmt, ap);
	va_end(ap);
	return r;
}

const struct opt_def *config_opt_find(const char *name)
{
	for (const struct opt_def *o = config_opts; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

static const char *cmd_name(unsigned cmd)
{
	switch (cmd) {
	case CMD_MASTER_INIT: return "master init";
	case CMD_MASTER_SERVE: return "master serve";
	case CMD_NODE_JOIN: return "node join";
	case CMD_STATUS: return "status";
	case CMD_IP: return "ip";
	case CMD_PLUGINS: return "plugins";
	case CMD_AGENT: return "agent";
	case CMD_NODE_REMOVE: return "node remove";
	case CMD_STATE_CHECK: return "state check";
	case CMD_STATE_DUMP: return "state dump";
	case CMD_STATE_SALVAGE: return "state salvage";
	}
	return "this command";
}

const char *config_bool_word(bool b) { return b ? "true" : "false"; }

static const char *want_words(enum opt_type type)
{
	return type == OPT_INT ? "an integer" : type == OPT_BOOL ? "true or false" : "a string";
}

static bool file_type_fits(enum opt_type type, int file_type)
{
	switch (file_type) {
	case CONFIG_FILE_INT: return type == OPT_INT;
	case CONFIG_FILE_BOOL: return type == OPT_BOOL;
	case CONFIG_FILE_STRING: return type != OPT_INT && type != OPT_BOOL;
	}
	return true; /* a word from the environment or a flag */
}

int config_check_value(const char *origin, const char *name, const char *file_key, enum opt_type type,
		       long long min, long long max, int file_type, const char *value, long long *ll, bool *b)
{
	long long v;
	bool t;

	if (!file_type_fits(type, file_type))
		return set_error(-EINVAL, "%s: %s has the wrong type (want %s)", origin, file_key ? file_key : name,
				 want_words(type));
	switch (type) {
	case OPT_INT:
		if (parse_ll(value, min, max, &v) < 0)
			return set_error(-EINVAL, "%s: %s wants a whole number in %lld..%lld, got \"%s\"", origin, name,
					 min, max, value);
		if (ll)
			*ll = v;
		return 0;
	case OPT_BOOL:
		if (parse_bool(value, &t) < 0)
			return set_error(-EINVAL,
					 "%s: %s wants a boolean: true/false, yes/no, on/off or 1/0 (any case), got \"%s\"",
					 origin, name, value);
		if (b)
			*b = t;
		return 0;
	default:
		if (strlen(value) > 4096)
			return set_error(-EINVAL, "%s: value of %s is longer than 4096 bytes", origin, name);
		return 0;
	}
}

static int apply(struct config *c, const struct opt_def *o, const char *value, const char *origin)
{
	void *field = (char *)c + o->offset;
	long long ll = 0;
	bool b = false;
	int lvl;

	switch (o->type) {
	case OPT_STRING:
		if (config_check_value(origin, o->name, NULL, o->type, 0, 0, CONFIG_TEXT, value, NULL, NULL) < 0)
			return -EINVAL;
		free(*(char **)field);
		*(char **)field = strdup(value);
		return *(char **)field ? 0 : -ENOMEM;
	case OPT_INT:
		if (config_check_value(origin, o->name, NULL, o->type, o->min, o->max, CONFIG_TEXT, value, &ll, NULL) < 0)
			return -EINVAL;
		*(long long *)field = ll;
		return 0;
	case OPT_BOOL:
		if (config_check_value(origin, o->name, NULL, o->type, 0, 0, CONFIG_TEXT, value, NULL, &b) < 0)
			return -EINVAL;
		*(bool *)field = b;
		return 0;
	case OPT_LOGLEVEL:
		lvl = log_level_parse(value);
		if (lvl < 0)
			return set_error(-EINVAL, "%s: %s must be debug, info, warn or error, got \"%s\"",
					 origin, o->name, value);
		*(int *)field = lvl;
		return 0;
	case OPT_ROLE:
		if (strcmp(value, "manager") == 0)
			*(int *)field = ROLE_MANAGER;
		else if (strcmp(value, "worker") == 0)
			*(int *)field = ROLE_WORKER;
		else
			return set_error(-EINVAL, "%s: %s must be manager or worker, got \"%s\"", origin,
					 o->name, value);
		return 0;
	}
	return -EINVAL;
}

void config_init_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	for (const struct opt_def *o = config_opts; o->name; o++)
		if (o->defval && o->offset != (size_t)-1)
			apply(c, o, o->defval, "default");
}

/* A plugin key looks like "<plugin>-<key>"; validated later against the
 * plugin's own table. */
static bool plugin_key_shape(const char *name)
{
	const char *dash = strchr(name, '-');
	if (!dash || dash == name || !dash[1])
		return false;
	for (const char *p = name; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return true;
}

static int plugin_kv_set(struct config *c, const char *name, const char *value, const char *origin,
			 int file_type)
{
	struct config_kv *kv;
	for (size_t i = 0; i < c->n_plugin_kv; i++) {
		kv = &c->plugin_kv[i];
		if (strcmp(kv->key, name) == 0) {
			char *v = strdup(value), *o = strdup(origin);
			if (!v || !o) {
				free(v);
				free(o);
				return -ENOMEM;
			}
			free(kv->value);
			free(kv->origin);
			kv->value = v;
			kv->origin = o;
			kv->file_type = file_type;
			return 0;
		}
	}
	kv = realloc(c->plugin_kv, (c->n_plugin_kv + 1) * sizeof *kv);
	if (!kv)
		return -ENOMEM;
	c->plugin_kv = kv;
	kv = &kv[c->n_plugin_kv];
	kv->key = strdup(name);
	kv->value = strdup(value);
	kv->origin = strdup(origin);
	kv->file_type = file_type;
	if (!kv->key || !kv->value || !kv->origin) {
		free(kv->key);
		free(kv->value);
		free(kv->origin);
		return -ENOMEM;
	}
	c->n_plugin_kv++;
	return 0;
}

static bool valid_hostport(const char *s, bool port_zero_ok);
static bool valid_provider(const char *s);

/* Formats checked as soon as a value is set, so the message names where
 * it came from (file:line, environment variable or command line). */
static int check_format(const struct opt_def *o, const char *v, const char *origin)
{
	const char *n = o->name;
	if (strcmp(n, "listen") == 0 && !valid_hostport(v, true))
		return set_error(-EINVAL, "%s: listen \"%s\" must be IPv4:port with port 0-65535 (e.g. 0.0.0.0:7000)",
				 origin, v);
	if (strcmp(n, "metrics-listen") == 0 && *v && !valid_hostport(v, true))
		return set_error(-EINVAL,
				 "%s: metrics-listen \"%s\" must be IPv4:port with port 0-65535 (e.g. 127.0.0.1:9450)",
				 origin, v);
	if (strcmp(n, "master") == 0 && !valid_hostport(v, false))
		return set_error(-EINVAL, "%s: master \"%s\" must be IPv4:port with port 1-65535 (e.g. 192.0.2.10:7000)",
				 origin, v);
	if ((strcmp(n, "ip") == 0 || strcmp(n, "advertise-addr") == 0) && !cc_ipv4_valid(v))
		return set_error(-EINVAL, "%s: %s \"%s\" is not an IPv4 address", origin, n, v);
	if ((strcmp(n, "overlay-provider") == 0 || strcmp(n, "storage-provider") == 0) && !valid_provider(v))
		return set_error(-EINVAL, "%s: %s \"%s\" is not a plugin name ([a-z0-9], 1-32)", origin, n, v);
	if ((strcmp(n, "state-dir") == 0 || strcmp(n, "node-state-dir") == 0 || strcmp(n, "plugin-dir") == 0) &&
	    v[0] != '/')
		return set_error(-EINVAL, "%s: %s \"%s\" must be an absolute path", origin, n, v);
	if (strcmp(n, "swarm-mtu") == 0 && *v && strcmp(v, "auto") != 0) {
		long long m;
		if (parse_ll(v, 576, 9000, &m) < 0)
			return set_error(-EINVAL, "%s: swarm-mtu must be \"auto\" or a number in 576..9000, got \"%s\"",
					 origin, v);
	}
	return 0;
}

int config_set(struct config *c, const char *name, const char *value, const char *origin, unsigned cmd)
{
	return config_set_typed(c, name, value, origin, cmd, CONFIG_TEXT);
}

int config_set_typed(struct config *c, const char *name, const char *value, const char *origin, unsigned cmd,
		     int file_type)
{
	const struct opt_def *o = config_opt_find(name);

	if (!o) {
		/* Its type is the plugin's to say: checked once the plugins
		 * are loaded (plugin_check_config), with what the file wrote. */
		if (plugin_key_shape(name))
			return plugin_kv_set(c, name, value, origin, file_type);
		return set_error(-ENOENT, "%s: unknown option \"%s\"", origin, name);
	}
	if (!(o->cmds & cmd))
		return set_error(-EPERM, "%s: option %s does not apply to '%s'", origin, name, cmd_name(cmd));
	if (o->alias_of) {
		bool b = false;
		if (config_check_value(origin, name, NULL, OPT_BOOL, 0, 0, CONFIG_TEXT, value, NULL, &b) < 0)
			return -EINVAL;
		if (!b)
			return 0;
		return apply(c, config_opt_find(o->alias_of), o->alias_val, origin);
	}
	if (o->type == OPT_STRING && check_format(o, value, origin) < 0)
		return -EINVAL;
	return apply(c, o, value, origin);
}

const char *config_plugin_get(const struct config *c, const char *plugin, const char *key)
{
	size_t pl = strlen(plugin);
	for (size_t i = 0; i < c->n_plugin_kv; i++) {
		const char *k = c->plugin_kv[i].key;
		if (strncmp(k, plugin, pl) == 0 && k[pl] == '-' && strcmp(k + pl + 1, key) == 0)
			return c->plugin_kv[i].value;
	}
	return NULL;
}

/* File keys use '_' where flags use '-' (libconfig names); a group is a
 * plugin's own section: gluster = { brick_dir = "..."; }. */
static int load_setting(struct config *c, config_setting_t *s, const char *prefix, const char *path,
			unsigned cmd)
{
	char name[256], origin[512], value[64];
	const char *sval = value;
	int r, ftype = CONFIG_TEXT;

	snprintf(name, sizeof name, "%s%s", prefix, config_setting_name(s));
	for (char *p = name; *p; p++)
		if (*p == '_')
			*p = '-';
	snprintf(origin, sizeof origin, "%s:%d", path, config_setting_source_line(s));

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		if (*prefix)
			return set_error(-EINVAL, "%s: nested group \"%s\" is not allowed", origin, name);
		if (config_opt_find(name))
			return set_error(-EINVAL, "%s: %s wants a value, not a group", origin, name);
		snprintf(name + strlen(name), sizeof name - strlen(name), "-");
		for (int i = 0; i < config_setting_length(s); i++)
			if ((r = load_setting(c, config_setting_get_elem(s, (unsigned)i), name, path, cmd)) < 0)
				return r;
		return 0;
	case CONFIG_TYPE_INT:
		snprintf(value, sizeof value, "%d", config_setting_get_int(s));
		ftype = CONFIG_FILE_INT;
		break;
	case CONFIG_TYPE_INT64:
		snprintf(value, sizeof value, "%lld", config_setting_get_int64(s));
		ftype = CONFIG_FILE_INT;
		break;
	case CONFIG_TYPE_BOOL:
		snprintf(value, sizeof value, "%s", config_bool_word(config_setting_get_bool(s)));
		ftype = CONFIG_FILE_BOOL;
		break;
	case CONFIG_TYPE_STRING:
		sval = config_setting_get_string(s);
		ftype = CONFIG_FILE_STRING;
		break;
	default:
		return set_error(-EINVAL, "%s: %s has an unsupported type (use a string, number or boolean)",
				 origin, name);
	}

	{
		const struct opt_def *o = config_opt_find(name);
		if (!*prefix && !o)
			return set_error(-ENOENT, "%s: unknown key \"%s\"", origin, config_setting_name(s));
		if (o && o->offset != (size_t)-1 && (o->cmds & cmd) == 0)
			return 0; /* a shared file may hold other commands' keys */
		if (o && !file_type_fits(o->type, ftype))
			return set_error(-EINVAL, "%s: %s has the wrong type (want %s)", origin,
					 config_setting_name(s), want_words(o->type));
		if (o && (o->cmds & cmd) == 0)
			return 0;
	}
	return config_set_typed(c, name, sval, origin, cmd, ftype);
}

int config_load_file(struct config *c, const char *path, unsigned cmd, bool required)
{
	config_t cf;
	config_setting_t *root;
	int r = 0;

	if (access(path, F_OK) < 0) {
		if (!required)
			return 0;
		return set_error(-ENOENT, "config file %s: %s", path, strerror(errno));
	}
	config_init(&cf);
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			r = set_error(-EIO, "config file %s: cannot read it", path);
		else
			r = set_error(-EINVAL, "%s:%d: syntax error: %s", path, config_error_line(&cf),
				      config_error_text(&cf));
		goto out;
	}
	root = config_root_setting(&cf);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		if (strcmp(config_setting_name(s), "config") == 0) {
			r = set_error(-EINVAL, "%s:%d: \"config\" cannot be set inside a config file", path,
				      config_setting_source_line(s));
			goto out;
		}
		if ((r = load_setting(c, s, "", path, cmd)) < 0)
			goto out;
	}
out:
	config_destroy(&cf);
	return r;
}

int config_load_env(struct config *c, unsigned cmd, char **env)
{
	for (; env && *env; env++) {
		const char *e = *env, *eq;
		char name[256], origin[300];
		size_t n;
		int r;

		if (strncmp(e, "CLUSTERCTL_", 11) != 0 || !(eq = strchr(e, '=')))
			continue;
		n = (size_t)(eq - e) - 11;
		if (n == 0 || n >= sizeof name)
			continue;
		for (size_t i = 0; i < n; i++)
			name[i] = e[11 + i] == '_' ? '-' : (char)tolower((unsigned char)e[11 + i]);
		name[n] = '\0';
		snprintf(origin, sizeof origin, "environment CLUSTERCTL_%.*s", (int)n, e + 11);
		if (strcmp(name, "config") == 0)
			continue; /* read before the file, in cli.c */
		r = config_set(c, name, eq + 1, origin, cmd);
		/* The environment is shared with other commands: an option for
		 * another command, or one we do not know, is not this run's
		 * error.  A bad value for an option we use is. */
		if (r == -EPERM || r == -ENOENT) {
			log_debug("ignoring %s: %s", origin, config_error());
			continue;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* "ip:port" with a dotted-quad ip; port 0 only for a listen address. */
static bool valid_hostport(const char *s, bool port_zero_ok)
{
	uint32_t a;
	uint16_t p;
	return cc_parse_ipv4_port(s, port_zero_ok ? CC_PORT_ZERO_OK : 0, &a, &p) == 0;
}

static bool valid_provider(const char *s)
{
	if (!s || !*s || strlen(s) > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

int config_validate(const struct config *c, unsigned cmd)
{
	if ((cmd & CMD_MASTER_SERVE) && c->wait_for_minimum && c->min_managers > c->max_managers)
		return set_error(-EINVAL, "min-managers %lld exceeds max-managers %lld", c->min_managers,
				 c->max_managers);
	if ((cmd & CMD_NODE_JOIN) && !c->master && !c->dry_run)
		return set_error(-EINVAL, "node join needs --master ip:port (or CLUSTERCTL_MASTER)");
	return 0;
}

void config_free(struct config *c)
{
	for (const struct opt_def *o = config_opts; o->name; o++)
		if (o->type == OPT_STRING && o->offset != (size_t)-1) {
			free(*(char **)((char *)c + o->offset));
			*(char **)((char *)c + o->offset) = NULL;
		}
	for (size_t i = 0; i < c->n_plugin_kv; i++) {
		free(c->plugin_kv[i].key);
		free(c->plugin_kv[i].value);
		free(c->plugin_kv[i].origin);
	}
	free(c->plugin_kv);
	c->plugin_kv = NULL;
	c->n_plugin_kv = 0;
	free(c->target_node);
	c->target_node = NULL;
}
