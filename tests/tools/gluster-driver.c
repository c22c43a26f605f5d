/* gluster-driver: runs one operation of the built gluster plugin the way
 * the core does (plugin_load_file + plugin_start with a struct config,
 * the real host-services table), for the lab tests until `master serve`
 * and `node join` call the plugin themselves.
 *
 *   gluster-driver PLUGIN.so [--set NAME=VALUE]... COMMAND [ARGS]
 *     master-prepare              master init's storage step
 *     observe                     Observed.Storage before a registration
 *     ensure PAYLOAD_JSON         node join's storage step
 *     plan NODE_ID IP CAPABLE OBSERVED_JSON RECORDS_FILE
 *                                 the controller's answer for a
 *                                 registration; RECORDS_FILE plays the
 *                                 core's store of per-node records (it
 *                                 becomes record_json / cluster_json)
 *     status
 *
 * --set takes option names as on the command line: gluster-volume=x,
 * gluster-allow-root-brick=true, ip=198.51.100.11.  Output: one JSON
 * object on stdout; the plugin's log lines go to stderr.  Exit 0 when the
 * operation returned 0, 1 when it failed (the JSON says why), 2 on usage.
 *
 * plan: the controller's plan() answers "waiting" while its background
 * thread works; like a node coming back, the driver asks again once the
 * plugin's status shows no job left (polling, bounded), so one call
 * returns the settled answer. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cc-file.h"
#include "cc-time.h"
#include "config.h"
#include "log.h"
#include "plugin-loader.h"
#include "util.h"

static int usage(void)
{
	fprintf(stderr, "usage: gluster-driver PLUGIN.so [--set NAME=VALUE]... "
			"master-prepare|observe|ensure PAYLOAD|plan NODE_ID IP CAPABLE OBSERVED RECORDS|status\n");
	return 2;
}

static void put_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

/* a JSON text as a nested object when it parses, else as a string */
static void put_json(json_object *o, const char *k, const char *v)
{
	json_object *j = v ? json_tokener_parse(v) : NULL;
	json_object_object_add(o, k, j ? j : (v ? json_object_new_string(v) : NULL));
}

static int busy(struct plugin *p)
{
	char *s = NULL;
	json_object *o, *b;
	int n = 0;
	if (!p->desc.status || p->desc.status(p->state, &s) < 0)
		return 0;
	o = json_tokener_parse(s);
	if (o && json_object_object_get_ex(o, "Busy", &b))
		n = json_object_get_int(b);
	json_object_put(o);
	free(s);
	return n;
}

static void wait_idle(struct plugin *p, int max_ms)
{
	int64_t end = cc_mono_ms() + max_ms;
	while (busy(p) && cc_mono_ms() < end)
		nanosleep(&(struct timespec){0, 100 * 1000000L}, NULL);
}

static void plan_out_free(struct clusterctl_plan_out *o)
{
	free(o->payload_json);
	free(o->record_json);
	free(o->message);
	free(o->storage_volume);
	free(o->storage_mount);
	free(o->storage_brick);
	memset(o, 0, sizeof *o);
}

static int do_plan(struct plugin *p, char **argv, json_object *res)
{
	const char *node_id = argv[0], *ip = argv[1], *observed = argv[3], *records = argv[4];
	json_object *store = NULL, *cluster = json_object_new_array(), *mine;
	struct clusterctl_plan_out out;
	struct clusterctl_plan_in in;
	char *text = NULL, *err = NULL;
	const char *record = NULL;
	char *last_msg = NULL;
	size_t len;
	int r = 0;

	if (cc_read_file(records, 1 << 20, &text, &len) == 0)
		store = json_tokener_parse(text);
	free(text);
	if (!store || !json_object_is_type(store, json_type_object)) {
		json_object_put(store);
		store = json_object_new_object();
	}
	json_object_object_foreach(store, id, e)
	{
		json_object *c, *rec = NULL, *nip = NULL;
		if (strcmp(id, node_id) == 0) {
			if (json_object_object_get_ex(e, "Record", &rec))
				record = json_object_get_string(rec);
			continue;
		}
		json_object_object_get_ex(e, "Record", &rec);
		json_object_object_get_ex(e, "IP", &nip);
		c = json_object_new_object();
		put_str(c, "NodeID", id);
		put_str(c, "Hostname", id);
		put_str(c, "IP", nip ? json_object_get_string(nip) : "");
		put_str(c, "Role", "worker");
		json_object_object_add(c, "Record", rec ? json_object_get(rec) : NULL);
		json_object_array_add(cluster, c);
	}

	for (int round = 0; round < 30; round++) {
		memset(&in, 0, sizeof in);
		memset(&out, 0, sizeof out);
		in.struct_size = sizeof in;
		out.struct_size = sizeof out;
		in.node_id = node_id;
		in.hostname = node_id;
		in.ip = ip;
		in.swarm_role = "worker";
		in.gluster_capable = strcmp(argv[2], "1") == 0 || strcmp(argv[2], "true") == 0;
		in.observed_json = observed;
		in.record_json = record;
		in.cluster_json = json_object_to_json_string(cluster);
		in.options_json = "{}";
		{
			int64_t t0 = cc_mono_ms();
			r = p->desc.plan(p->state, &in, &out);
			json_object_object_add(res, "plan_ms", json_object_new_int64(cc_mono_ms() - t0));
		}
		if (r < 0)
			break;
		/* the core stores the record right away */
		if (out.record_json) {
			json_object *ent = json_object_new_object();
			put_str(ent, "IP", ip);
			put_str(ent, "Record", out.record_json);
			json_object_object_add(store, node_id, ent);
			if (json_object_object_get_ex(store, node_id, &mine)) {
				json_object *rr;
				json_object_object_get_ex(mine, "Record", &rr);
				record = json_object_get_string(rr);
			}
		}
		/* settled: not waiting, or nothing left running and the same
		 * answer as last time (e.g. a failed probe not yet due again) */
		if (!out.waiting || round == 29)
			break;
		if (!busy(p) && last_msg && out.message && strcmp(last_msg, out.message) == 0)
			break;
		free(last_msg);
		last_msg = out.message ? strdup(out.message) : NULL;
		wait_idle(p, 90000);
		plan_out_free(&out);
	}
	free(last_msg);
	if (r < 0) {
		put_str(res, "error", plugin_last_error(p));
	} else {
		put_json(res, "payload", out.payload_json);
		put_json(res, "record", out.record_json);
		json_object_object_add(res, "waiting", json_object_new_boolean(out.waiting));
		json_object_object_add(res, "retry_after", json_object_new_int((int)out.retry_after));
		put_str(res, "message", out.message);
		json_object_object_add(res, "enabled", json_object_new_boolean(out.storage_enabled));
		put_str(res, "volume", out.storage_volume);
		put_str(res, "mount", out.storage_mount);
		put_str(res, "brick", out.storage_brick);
		plan_out_free(&out);
	}
	{
		const char *s = json_object_to_json_string_ext(store, JSON_C_TO_STRING_PLAIN);
		if (cc_write_file_atomic(records, s, strlen(s), 0600) < 0) {
			err = xstrdup_or_null("cannot write the records file");
			put_str(res, "error", err);
			r = -EIO;
		}
	}
	free(err);
	json_object_put(store);
	json_object_put(cluster);
	return r;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct plugin *p = NULL;
	char *reason = NULL;
	const char *cmd_name;
	unsigned cmd;
	json_object *res = json_object_new_object();
	int i = 2, r = 0, rc;

	if (argc < 3)
		return usage();
	config_init_defaults(&cfg);
	log_set_level(CLUSTERCTL_LOG_INFO);
	/* the command comes after the --set options */
	for (cmd_name = NULL; i < argc; i += 2) {
		if (strcmp(argv[i], "--set") != 0)
			break;
	}
	if (i >= argc)
		return usage();
	cmd_name = argv[i];
	cmd = strcmp(cmd_name, "master-prepare") == 0 ? CMD_MASTER_INIT
	      : strcmp(cmd_name, "plan") == 0	     ? CMD_MASTER_SERVE
	      : strcmp(cmd_name, "status") == 0	     ? CMD_STATUS
						     : CMD_NODE_JOIN;
	for (int k = 2; k < i; k += 2) {
		char *eq, *name;
		if (k + 1 >= i || !(eq = strchr(argv[k + 1], '=')))
			return usage();
		name = strndup(argv[k + 1], (size_t)(eq - argv[k + 1]));
		if (!name || config_set(&cfg, name, eq + 1, "flag", cmd) < 0) {
			fprintf(stderr, "gluster-driver: %s\n", config_error());
			free(name);
			return 2;
		}
		free(name);
	}
	if (plugin_load_file(argv[1], &p, &reason) < 0) {
		fprintf(stderr, "gluster-driver: %s: %s\n", argv[1], reason);
		free(reason);
		return 2;
	}
	{
		struct plugin *v[1] = {p};
		struct plugin_registry reg = {.v = v, .n = 1};
		char *err = NULL;
		if (plugin_check_config(&reg, &cfg, &err) < 0) {
			fprintf(stderr, "gluster-driver: %s\n", err);
			free(err);
			plugin_free(p);
			config_free(&cfg);
			return 2;
		}
	}
	if ((r = plugin_start(p, &cfg)) < 0) {
		put_str(res, "error", plugin_last_error(p));
		goto out;
	}

	if (strcmp(cmd_name, "master-prepare") == 0 || strcmp(cmd_name, "ensure") == 0) {
		struct clusterctl_ensure_out out = {.struct_size = sizeof out};
		if (strcmp(cmd_name, "ensure") == 0) {
			if (i + 1 >= argc) {
				r = -EINVAL;
				put_str(res, "error", "ensure needs a payload");
				goto out;
			}
			r = p->desc.ensure(p->state, argv[i + 1], &out);
		} else {
			r = p->desc.master_prepare(p->state, "{}", &out);
		}
		if (r < 0)
			put_str(res, "error", plugin_last_error(p));
		json_object_object_add(res, "converged", json_object_new_boolean(out.converged));
		put_json(res, "observed", out.observed_json);
		put_str(res, "message", out.message);
		free(out.observed_json);
		free(out.message);
		free(out.address);
		free(out.ifname);
	} else if (strcmp(cmd_name, "observe") == 0) {
		char *o = NULL;
		r = p->desc.observe(p->state, &o);
		if (r < 0)
			put_str(res, "error", plugin_last_error(p));
		put_json(res, "observed", o);
		free(o);
	} else if (strcmp(cmd_name, "plan") == 0) {
		if (argc - i - 1 < 5) {
			r = -EINVAL;
			put_str(res, "error", "plan needs NODE_ID IP CAPABLE OBSERVED RECORDS");
			goto out;
		}
		r = do_plan(p, argv + i + 1, res);
	} else if (strcmp(cmd_name, "status") == 0) {
		char *s = NULL;
		r = p->desc.status(p->state, &s);
		put_json(res, "status", s);
		free(s);
	} else {
		r = -EINVAL;
		put_str(res, "error", "unknown command");
	}
out:
	json_object_object_add(res, "rc", json_object_new_int(r));
	printf("%s\n", json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN));
	json_object_put(res);
	rc = r < 0 ? 1 : 0;
	plugin_free(p);
	config_free(&cfg);
	return rc;
}
