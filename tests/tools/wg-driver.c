/* wg-driver: drives an overlay plugin's operations directly, through the
 * core's loader, the way master init / master serve / node join would,
 * for the lab tests.  The controller's per-node state is kept in files:
 * <records>/<NodeID>.json holds {"NodeID","Hostname","IP","Role","Record"}
 * exactly as the core hands it to plan() in cluster_json.
 *
 *   wg-driver [--state-dir D] [--ip IP] [--hostname H] [--set KEY=VAL]...
 *             PLUGIN.so COMMAND ARGS
 *   master-prepare                      ensure_out as JSON
 *   observe                             Observed.Overlay
 *   plan NODEID IP OBSERVED-FILE RECORDS-DIR   payload on stdout, record kept
 *   ensure PAYLOAD-FILE                 ensure_out as JSON
 *   status                              status JSON
 *   ping ADDR [SIZE]                    one don't-fragment ICMP echo
 *   mtu-probe ADDR [LO HI]              largest packet that passes
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cc-file.h"
#include "config.h"
#include "log.h"
#include "mtu-probe.h"
#include "netlink.h"
#include "plugin-loader.h"
#include "subprocess.h"
#include "util.h"

/* ---- rtnetlink stand-in -------------------------------------------
 * While core/netlink.c is the placeholder that answers -ENOSYS, the
 * driver lends the plugin ip(8) for the five rtnetlink services, so the
 * plugin's own code can be tested end to end now.  With the real module
 * merged this is never used (checked at start, and said in the output). */
static int ip_run(const char *const argv[], char **out)
{
	struct clusterctl_run_result res;
	int r = spawn_run(argv, NULL, NULL, 10000, &res);
	if (r == 0 && res.exit_status != 0) {
		fprintf(stderr, "ip: %s", res.err ? res.err : "");
		r = strstr(res.err ? res.err : "", "Cannot find device") ? -ENODEV : -EIO;
	}
	if (r == 0 && out) {
		*out = res.out;
		res.out = NULL;
	}
	spawn_result_free(&res);
	return r;
}

static unsigned flags_of(json_object *link)
{
	json_object *fl;
	unsigned f = 0;
	if (json_object_object_get_ex(link, "flags", &fl))
		for (size_t i = 0; i < json_object_array_length(fl); i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(fl, i));
			if (!strcmp(s, "UP"))
				f |= 0x1;
			else if (!strcmp(s, "LOOPBACK"))
				f |= 0x8;
			else if (!strcmp(s, "POINTOPOINT"))
				f |= 0x10;
			else if (!strcmp(s, "LOWER_UP"))
				f |= 0x10000;
		}
	return f;
}

static int ipx_addr_list(void *c, struct clusterctl_ifaddr **out, size_t *count)
{
	const char *argv[] = {"ip", "-j", "-d", "-4", "addr", "show", NULL};
	char *text = NULL;
	json_object *arr;
	size_t n = 0;
	int r = ip_run(argv, &text);
	*out = NULL;
	*count = 0;
	if (r < 0)
		return r;
	arr = json_tokener_parse(text);
	free(text);
	if (!arr)
		return -EIO;
	*out = calloc(256, sizeof **out);
	for (size_t i = 0; *out && i < json_object_array_length(arr); i++) {
		json_object *l = json_object_array_get_idx(arr, i), *ai, *v, *li, *k;
		if (!json_object_object_get_ex(l, "addr_info", &ai))
			continue;
		for (size_t j = 0; j < json_object_array_length(ai) && n < 256; j++) {
			json_object *a = json_object_array_get_idx(ai, j);
			struct clusterctl_ifaddr *o = &(*out)[n++];
			json_object_object_get_ex(l, "ifname", &v);
			snprintf(o->ifname, sizeof o->ifname, "%s", json_object_get_string(v));
			json_object_object_get_ex(l, "ifindex", &v);
			o->ifindex = (uint32_t)json_object_get_int(v);
			o->link_flags = flags_of(l);
			json_object_object_get_ex(a, "local", &v);
			snprintf(o->addr, sizeof o->addr, "%s", json_object_get_string(v));
			json_object_object_get_ex(a, "prefixlen", &v);
			o->prefixlen = (uint8_t)json_object_get_int(v);
			if (json_object_object_get_ex(a, "scope", &v))
				o->scope = !strcmp(json_object_get_string(v), "global") ? 0 : 254;
			if (json_object_object_get_ex(l, "linkinfo", &li) &&
			    json_object_object_get_ex(li, "info_kind", &k))
				snprintf(o->kind, sizeof o->kind, "%s", json_object_get_string(k));
		}
	}
	json_object_put(arr);
	*count = n;
	return *out ? 0 : -ENOMEM;
}

static int ipx_link_get(void *c, const char *ifname, struct clusterctl_link *out)
{
	const char *argv[] = {"ip", "-j", "-d", "link", "show", "dev", ifname, NULL};
	char *text = NULL;
	json_object *arr, *l, *v, *li, *k;
	int r = ip_run(argv, &text);
	memset(out, 0, sizeof *out);
	if (r < 0)
		return r;
	arr = json_tokener_parse(text);
	free(text);
	if (!arr || json_object_array_length(arr) != 1) {
		json_object_put(arr);
		return -ENODEV;
	}
	l = json_object_array_get_idx(arr, 0);
	json_object_object_get_ex(l, "ifindex", &v);
	out->ifindex = (uint32_t)json_object_get_int(v);
	json_object_object_get_ex(l, "mtu", &v);
	out->mtu = (uint32_t)json_object_get_int(v);
	out->flags = flags_of(l);
	if (json_object_object_get_ex(l, "linkinfo", &li) && json_object_object_get_ex(li, "info_kind", &k))
		snprintf(out->kind, sizeof out->kind, "%s", json_object_get_string(k));
	json_object_put(arr);
	return 0;
}

static int ipx_link_set(void *c, const char *ifname, int up, uint32_t mtu)
{
	char m[16];
	const char *argv[] = {"ip", "link", "set", "dev", ifname, up ? "up" : "down", "mtu", m, NULL};
	snprintf(m, sizeof m, "%u", mtu);
	if (!mtu)
		argv[6] = NULL;
	return ip_run(argv, NULL);
}

static int ipx_addr(const char *verb, const char *ifname, const char *a, uint8_t p)
{
	char cidr[32];
	const char *argv[] = {"ip", "addr", verb, cidr, "dev", ifname, NULL};
	snprintf(cidr, sizeof cidr, "%s/%u", a, p);
	return ip_run(argv, NULL);
}
static int ipx_addr_add(void *c, const char *ifname, const char *a, uint8_t p) { return ipx_addr("replace", ifname, a, p); }
static int ipx_addr_del(void *c, const char *ifname, const char *a, uint8_t p) { return ipx_addr("del", ifname, a, p); }

/* ---- helpers ---------------------------------------------------------- */

static char *slurp(const char *path)
{
	char *s = NULL;
	size_t n;
	if (cc_read_file(path, 16u << 20, &s, &n) < 0) {
		fprintf(stderr, "wg-driver: cannot read %s\n", path);
		return NULL;
	}
	return s;
}

static int print_ensure(int r, struct plugin *p, struct clusterctl_ensure_out *o)
{
	json_object *j = json_object_new_object();
	json_object_object_add(j, "result", json_object_new_int(r));
	if (r < 0)
		json_object_object_add(j, "error", json_object_new_string(plugin_last_error(p)));
	json_object_object_add(j, "converged", json_object_new_boolean(o->converged));
	if (o->address)
		json_object_object_add(j, "address", json_object_new_string(o->address));
	if (o->ifname)
		json_object_object_add(j, "ifname", json_object_new_string(o->ifname));
	json_object_object_add(j, "mtu", json_object_new_int((int)o->mtu));
	if (o->observed_json)
		json_object_object_add(j, "observed", json_tokener_parse(o->observed_json));
	if (o->message)
		json_object_object_add(j, "message", json_object_new_string(o->message));
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	free(o->address);
	free(o->ifname);
	free(o->observed_json);
	free(o->message);
	return r < 0 ? 1 : 0;
}

/* cluster_json: every record file but the node's own. */
static char *cluster_json(const char *dir, const char *self, char **own_record)
{
	json_object *arr = json_object_new_array();
	struct dirent *de;
	DIR *d = opendir(dir);
	char *s;

	*own_record = NULL;
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char path[1024], *text;
		json_object *e, *rec;
		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (!(text = slurp(path)))
			continue;
		e = json_tokener_parse(text);
		free(text);
		if (!e)
			continue;
		if (strlen(self) == l - 5 && !strncmp(de->d_name, self, l - 5)) {
			if (json_object_object_get_ex(e, "Record", &rec) && rec)
				*own_record = strdup(json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(e);
			continue;
		}
		json_object_array_add(arr, e);
	}
	if (d)
		closedir(d);
	s = strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return s;
}

static int do_plan(struct plugin *p, const char *node, const char *ip, const char *obs_file, const char *dir)
{
	struct clusterctl_plan_in in = {.struct_size = sizeof in};
	struct clusterctl_plan_out out = {.struct_size = sizeof out};
	char *observed = slurp(obs_file), *own = NULL, *cluster = cluster_json(dir, node, &own);
	int r;

	if (!observed)
		return 1;
	in.node_id = node;
	in.hostname = node;
	in.ip = ip;
	in.swarm_role = "worker";
	in.observed_json = observed;
	in.record_json = own;
	in.cluster_json = cluster;
	in.options_json = "{}";
	r = p->desc.plan(p->state, &in, &out);
	if (r < 0) {
		fprintf(stderr, "wg-driver: plan failed: %s\n", plugin_last_error(p));
	} else {
		/* Keep the record the way the core would: with the node. */
		json_object *e = json_object_new_object();
		char path[1024];
		const char *text;
		json_object_object_add(e, "NodeID", json_object_new_string(node));
		json_object_object_add(e, "Hostname", json_object_new_string(node));
		json_object_object_add(e, "IP", json_object_new_string(ip));
		json_object_object_add(e, "Role", json_object_new_string("worker"));
		json_object_object_add(e, "Record", json_tokener_parse(out.record_json));
		text = json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		snprintf(path, sizeof path, "%s/%s.json", dir, node);
		r = cc_write_file_atomic(path, text, strlen(text), 0600);
		json_object_put(e);
		printf("%s\n", out.payload_json);
		if (out.waiting)
			fprintf(stderr, "wg-driver: waiting: %s\n", out.message ? out.message : "");
	}
	free(out.payload_json);
	free(out.record_json);
	free(out.message);
	free(out.storage_volume);
	free(out.storage_mount);
	free(out.storage_brick);
	free(observed);
	free(own);
	free(cluster);
	return r < 0 ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: wg-driver [--state-dir D] [--ip IP] [--hostname H] [--set KEY=VAL]... "
			"PLUGIN.so master-prepare|observe|plan|ensure|status|ping|mtu-probe ...\n");
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct plugin *p = NULL;
	char *reason = NULL;
	int i = 1, rc = 2;
	const char *plugin_path, *cmd;

	config_init_defaults(&cfg);
	log_set_level(CLUSTERCTL_LOG_INFO);
	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		char **field = NULL;
		if (!strcmp(argv[i], "--state-dir"))
			field = &cfg.node_state_dir;
		else if (!strcmp(argv[i], "--ip"))
			field = &cfg.ip;
		else if (!strcmp(argv[i], "--hostname"))
			field = &cfg.hostname;
		if (field) {
			free(*field);
			*field = strdup(argv[i + 1]);
		} else if (!strcmp(argv[i], "--set") && strchr(argv[i + 1], '=')) {
			char *kv = strdup(argv[i + 1]), *eq = strchr(kv, '=');
			*eq = '\0';
			if (config_set(&cfg, kv, eq + 1, "flag", CMD_NODE_JOIN) < 0)
				fprintf(stderr, "wg-driver: --set %s: %s\n", kv, config_error());
			free(kv);
		} else {
			usage();
			goto out;
		}
	}
	if (i + 1 >= argc) {
		usage();
		goto out;
	}
	plugin_path = argv[i++];
	cmd = argv[i++];

	/* Commands that need no plugin. */
	if (!strcmp(cmd, "ping") && i < argc) {
		int r = mtu_probe_echo(argv[i], i + 1 < argc ? atoi(argv[i + 1]) : 84, 1000);
		printf("%s\n", r == 0 ? "reply" : strerror(-r));
		rc = r == 0 ? 0 : 1;
		goto out;
	}
	if (!strcmp(cmd, "mtu-probe") && i < argc) {
		char *err = NULL;
		int mtu = 0, r = mtu_probe(argv[i], i + 2 < argc ? atoi(argv[i + 1]) : 576,
					   i + 2 < argc ? atoi(argv[i + 2]) : 1500, 300, &mtu, &err);
		if (r == 0)
			printf("%d\n", mtu);
		else
			fprintf(stderr, "%s\n", err ? err : strerror(-r));
		free(err);
		rc = r == 0 ? 0 : 1;
		goto out;
	}

	if (plugin_load_file(plugin_path, &p, &reason) < 0) {
		fprintf(stderr, "wg-driver: %s: %s\n", plugin_path, reason);
		free(reason);
		goto out;
	}
	{
		struct clusterctl_link l;
		if (nl_link_get("lo", &l) == -ENOSYS) {
			fprintf(stderr, "wg-driver: core rtnetlink is a placeholder (ENOSYS): lending the plugin "
					"ip(8) instead\n");
			p->host.addr_list = ipx_addr_list;
			p->host.link_get = ipx_link_get;
			p->host.link_set = ipx_link_set;
			p->host.addr_add = ipx_addr_add;
			p->host.addr_del = ipx_addr_del;
		}
	}
	if (plugin_start(p, &cfg) < 0)
		goto out;
	if (!strcmp(cmd, "master-prepare")) {
		struct clusterctl_ensure_out o = {.struct_size = sizeof o};
		rc = print_ensure(p->desc.master_prepare(p->state, "{}", &o), p, &o);
	} else if (!strcmp(cmd, "observe")) {
		char *obs = NULL;
		int r = p->desc.observe(p->state, &obs);
		if (r < 0)
			fprintf(stderr, "wg-driver: observe failed: %s\n", plugin_last_error(p));
		else
			printf("%s\n", obs);
		free(obs);
		rc = r < 0;
	} else if (!strcmp(cmd, "plan") && i + 3 < argc) {
		rc = do_plan(p, argv[i], argv[i + 1], argv[i + 2], argv[i + 3]);
	} else if (!strcmp(cmd, "ensure") && i < argc) {
		struct clusterctl_ensure_out o = {.struct_size = sizeof o};
		char *payload = slurp(argv[i]);
		if (payload)
			rc = print_ensure(p->desc.ensure(p->state, payload, &o), p, &o);
		free(payload);
	} else if (!strcmp(cmd, "status")) {
		char *st = NULL;
		int r = p->desc.status(p->state, &st);
		if (r == 0)
			printf("%s\n", st);
		free(st);
		rc = r < 0;
	} else {
		usage();
	}
out:
	plugin_free(p);
	config_free(&cfg);
	return rc;
}
