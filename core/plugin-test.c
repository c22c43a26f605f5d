/* clusterctl-plugin-test FILE.so --op OP [--input JSON] [--option KEY=VALUE]...
 *
 * Runs one operation of one plugin the way clusterctl would, without a
 * cluster: the same loader (trust, descriptor and key checks), the same
 * checks on the plugin's keys, init with the host keys a run would give,
 * the operation, fini.  The plugin sees a recording host table
 * (plugin-test-host.c).  Prints one JSON object: the plugin, the
 * operation's return and answer, every host call, and every breach of
 * the contract.  Exit 0: the operation returned 0 within the contract;
 * 1: it returned an error; 2: usage, or the plugin or its options were
 * refused; 3: it broke the contract (clusterctl-plugin(7), TESTING A
 * PLUGIN).  Everything an operation hands back is freed here, as the
 * host frees it, so a leak checker sees only the plugin's own leaks. */
#include "autoconfig.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "cc-time.h"
#include "config.h"
#include "host-services.h"
#include "log.h"
#include "plan-check.h"
#include "plugin-loader.h"
#include "plugin-test.h"

#define EXIT_PT_OK 0
#define EXIT_PT_FAILED 1
#define EXIT_PT_USAGE 2
#define EXIT_PT_CONTRACT 3
#define MAX_OBSERVED (64 * 1024) /* what node join sends as Observed.<Kind> */
#define MAX_STATUS (64 * 1024)   /* what clusterctl status shows of a provider */
#define MAX_INPUT (1 << 20)

struct opts {
	const char *file, *op, *input, *command, *hostname, *node_ip, *role, *master, *data_dir;
	const char *run_fixture, *http_fixture, *log_level;
	bool dry_run, allow_changes;
	const char **options; /* "key=value" */
	size_t n_options;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: clusterctl-plugin-test FILE.so --op OPERATION [OPTIONS]\n"
		"Run one operation of a clusterctl plugin without a cluster, and check it keeps the contract.\n\n"
		"Operations: observe, ensure, status, master-prepare (node side); plan, node-event, forget\n"
		"(controller)\n\n"
		"  --input JSON|@FILE      ensure: the payload; master-prepare: the options; plan:\n"
		"                          {\"Node\":{...},\"Observed\":{...},\"Options\":{...},\"NewNode\":true};\n"
		"                          node-event: {\"Kind\":\"loaded|ready|stored|removed\",\"Node\":{...}};\n"
		"                          forget: {\"Node\":{...},\"Force\":false}\n"
		"  --option KEY=VALUE      one of the plugin's keys (checked as clusterctl checks them)\n"
		"  --command NAME          host key \"command\" (default: the command that runs OPERATION)\n"
		"  --hostname NAME, --node-ip IP, --role manager|worker, --master IP:PORT   host keys\n"
		"  --dry-run               host key \"dry-run\" is true\n"
		"  --data-dir DIR          the node-state-dir (default: a new directory, removed afterwards)\n"
		"  --run-fixture FILE      answers for run(): [{\"Argv\":[...],\"Exit\":0,\"Stdout\":\"\",\"Stderr\":\"\"}]\n"
		"  --http-fixture FILE     answers for http_unix(): [{\"Method\":\"GET\",\"Url\":\"...\",\"Status\":200,"
		"\"Body\":\"\"}]\n"
		"  --allow-changes         let link/address changes and nl_transact() reach this host\n"
		"  --log-level LEVEL       the plugin's log lines on stderr (default info)\n\n"
		"Exit status: 0 ok, 1 the operation failed, 2 usage or refused, 3 a contract violation.\n"
		"See clusterctl-plugin(7), TESTING A PLUGIN.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const char *const with_value[] = {"--op", "--input", "--option", "--command", "--hostname",
						 "--node-ip", "--role", "--master", "--data-dir", "--run-fixture",
						 "--http-fixture", "--log-level"};
	const char **slot[] = {&o->op, &o->input, NULL, &o->command, &o->hostname, &o->node_ip, &o->role,
			       &o->master, &o->data_dir, &o->run_fixture, &o->http_fixture, &o->log_level};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t k;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 1;
		}
		if (strcmp(a, "--dry-run") == 0) {
			o->dry_run = true;
			continue;
		}
		if (strcmp(a, "--allow-changes") == 0) {
			o->allow_changes = true;
			continue;
		}
		for (k = 0; k < sizeof with_value / sizeof *with_value; k++)
			if (strcmp(a, with_value[k]) == 0)
				break;
		if (k == sizeof with_value / sizeof *with_value) {
			if (a[0] == '-' || o->file) {
				fprintf(stderr, "clusterctl-plugin-test: unexpected argument \"%s\"\n", a);
				return -1;
			}
			o->file = a;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "clusterctl-plugin-test: %s needs a value\n", a);
			return -1;
		}
		if (!slot[k]) {
			const char **v = realloc(o->options, (o->n_options + 1) * sizeof *v);
			if (!v)
				return -1;
			o->options = v;
			o->options[o->n_options++] = argv[++i];
		} else {
			*slot[k] = argv[++i];
		}
	}
	if (!o->file || !o->op) {
		fprintf(stderr, "clusterctl-plugin-test: give a plugin file and --op\n\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

/* --input (JSON text, or @FILE) and the fixtures (a FILE). */
static json_object *read_json(const char *what, const char *arg, bool file, char **text)
{
	enum json_tokener_error jerr;
	json_object *o;
	char *t = NULL;

	if (file) {
		int r = cc_read_file(arg, MAX_INPUT, &t, NULL);
		if (r < 0) {
			fprintf(stderr, "clusterctl-plugin-test: cannot read %s %s: %s\n", what, arg, strerror(-r));
			return NULL;
		}
	} else if (!(t = strdup(arg))) {
		return NULL;
	}
	o = json_tokener_parse_verbose(t, &jerr);
	if (!o) {
		fprintf(stderr, "clusterctl-plugin-test: %s is not JSON: %s\n", what, json_tokener_error_desc(jerr));
		free(t);
		return NULL;
	}
	if (text)
		*text = t;
	else
		free(t);
	return o;
}

static const char *default_command(const char *op)
{
	if (strcmp(op, "plan") == 0 || strcmp(op, "node-event") == 0 || strcmp(op, "forget") == 0)
		return "master serve";
	if (strcmp(op, "master-prepare") == 0)
		return "master init";
	if (strcmp(op, "status") == 0)
		return "status";
	return "node join";
}

/* A string a plugin handed back, checked as the host checks it. */
static json_object *checked_json(struct rec_host *h, const char *op, const char *field, const char *s, size_t max)
{
	json_object *o;
	if (!s)
		return NULL;
	if (!json_text_valid(s, max, true)) {
		rec_host_violation(h, "%s: %s is not a JSON object of at most %zu bytes (clusterctl warns and drops "
				      "it): %.200s",
				   op, field, max, s);
		return json_object_new_string(s);
	}
	o = json_tokener_parse(s);
	return o ? o : json_object_new_string(s);
}

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

/* JSON text as JSON, or as a string when it is none (already reported). */
static json_object *as_json(const char *s)
{
	json_object *o = s ? json_tokener_parse(s) : NULL;
	return o ? o : str_or_null(s);
}

/* ---- node side ---------------------------------------------------------- */

static int run_ensure(struct plugin *p, struct rec_host *h, const char *op, const char *input, json_object *res)
{
	struct clusterctl_ensure_out out = {.struct_size = sizeof out};
	bool prepare = strcmp(op, "master-prepare") == 0;
	int r;

	if (prepare && !p->desc.master_prepare) {
		json_object_object_add(res, "Skipped", json_object_new_string("the plugin has no master_prepare"));
		return 0;
	}
	r = prepare ? p->desc.master_prepare(p->state, input ? input : "{}", &out)
		    : p->desc.ensure(p->state, input ? input : "{}", &out);
	if (out.struct_size != sizeof out)
		rec_host_violation(h, "%s: the plugin changed ensure_out.struct_size (%llu, the host set %zu)", op,
				   (unsigned long long)out.struct_size, sizeof out);
	if (r == 0) {
		if (out.converged != 0 && out.converged != 1)
			rec_host_violation(h, "%s: converged is %d (want 0 or 1)", op, out.converged);
		if (out.converged && p->desc.kind == CLUSTERCTL_PLUGIN_OVERLAY &&
		    (!out.address || !cc_ipv4_valid(out.address)))
			rec_host_violation(h, "%s: converged overlay without an IPv4 address (node join refuses "
					      "\"%.64s\")",
					   op, out.address ? out.address : "(null)");
		if (!out.converged && out.retry_after > 3600)
			rec_host_violation(h, "%s: retry_after %u is over an hour", op, out.retry_after);
	}
	json_object_object_add(res, "Converged", json_object_new_boolean(out.converged));
	json_object_object_add(res, "Address", str_or_null(out.address));
	json_object_object_add(res, "Ifname", str_or_null(out.ifname));
	json_object_object_add(res, "MTU", json_object_new_int64(out.mtu));
	json_object_object_add(res, "Observed", checked_json(h, op, "observed_json", out.observed_json, MAX_OBSERVED));
	json_object_object_add(res, "Message", str_or_null(out.message));
	json_object_object_add(res, "RetryAfter", json_object_new_int64(out.retry_after));
	json_object_object_add(res, "More", json_object_new_boolean(out.flags & CLUSTERCTL_ENSURE_MORE));
	plugin_ensure_out_free(&out);
	return r;
}

/* observe or status: one malloc'd JSON object. */
static int run_text_op(struct plugin *p, struct rec_host *h, const char *op, json_object *res)
{
	int (*fn)(void *, char **) = strcmp(op, "observe") == 0 ? p->desc.observe : p->desc.status;
	char *text = NULL;
	int r;

	if (!fn) {
		json_object_object_add(res, "Skipped", json_object_new_string("the plugin has no such operation"));
		return 0;
	}
	r = fn(p->state, &text);
	if (r == 0)
		json_object_object_add(res, strcmp(op, "observe") == 0 ? "Observed" : "Status",
				       checked_json(h, op, "the answer", text,
						    strcmp(op, "observe") == 0 ? MAX_OBSERVED : MAX_STATUS));
	free(text);
	return r;
}

/* ---- controller side ---------------------------------------------------- */

struct node_in {
	struct clusterctl_node node;
	char *record;
};

static const char *get_str(json_object *o, const char *k)
{
	json_object *v;
	return o && json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

static void node_from(json_object *n, struct node_in *ni)
{
	json_object *v;

	memset(ni, 0, sizeof *ni);
	ni->node.struct_size = sizeof ni->node;
	ni->node.node_id = get_str(n, "NodeID") ? get_str(n, "NodeID") : "node-1";
	ni->node.hostname = get_str(n, "Hostname") ? get_str(n, "Hostname") : "node-1";
	ni->node.ip = get_str(n, "IP") ? get_str(n, "IP") : "192.0.2.1";
	ni->node.swarm_role = get_str(n, "Role") ? get_str(n, "Role") : "worker";
	ni->node.storage_capable = n && json_object_object_get_ex(n, "StorageCapable", &v) && json_object_get_boolean(v);
	if (n && json_object_object_get_ex(n, "Record", &v) && !json_object_is_type(v, json_type_null))
		ni->record = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	ni->node.record_json = ni->record;
}

static char *plain(json_object *in, const char *k, const char *dflt)
{
	json_object *v;
	if (in && json_object_object_get_ex(in, k, &v) && json_object_is_type(v, json_type_object))
		return strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	return strdup(dflt);
}

static int run_plan(struct plugin *p, struct rec_host *h, json_object *in, json_object *res)
{
	struct clusterctl_plan_out out = {.struct_size = sizeof out};
	struct clusterctl_plan_in pin = {.struct_size = sizeof pin};
	struct plan_result pr = {0};
	json_object *n = NULL, *v;
	struct node_in ni;
	char *observed = plain(in, "Observed", "{}"), *options = plain(in, "Options", "{}"), *err = NULL;
	int64_t t0;
	int r = 0;

	if (!observed || !options) {
		r = -ENOMEM;
		goto out;
	}
	if (in)
		json_object_object_get_ex(in, "Node", &n);
	node_from(n, &ni);
	pin.node = &ni.node;
	pin.observed_json = observed;
	pin.options_json = options;
	if (!in || !json_object_object_get_ex(in, "NewNode", &v) || json_object_get_boolean(v))
		pin.flags |= CLUSTERCTL_PLAN_NEW_NODE;
	if (!p->desc.plan) {
		json_object_object_add(res, "Skipped", json_object_new_string("the plugin has no plan: empty payload"));
		free(ni.record);
		goto out;
	}
	t0 = cc_mono_ms();
	r = p->desc.plan(p->state, &pin, &out);
	t0 = cc_mono_ms() - t0;
	free(ni.record);
	json_object_object_add(res, "Milliseconds", json_object_new_int64(t0));
	if (t0 > CLUSTERCTL_PLAN_BUDGET_MS)
		rec_host_violation(h, "plan: took %lld ms, over the %d ms budget (master serve warns)", (long long)t0,
				   CLUSTERCTL_PLAN_BUDGET_MS);
	if (out.struct_size != sizeof out)
		rec_host_violation(h, "plan: the plugin changed plan_out.struct_size");
	if (r < 0) {
		/* Only to free what it handed back: the host's job either way. */
		plan_check("plan", p->desc.kind == CLUSTERCTL_PLUGIN_STORAGE, &out, &pr, &err);
		goto out;
	}
	/* The controller's own checks on an answer (plan-check.c). */
	if (plan_check(host_ctx_label(p->hctx), p->desc.kind == CLUSTERCTL_PLUGIN_STORAGE, &out, &pr, &err) < 0)
		rec_host_violation(h, "plan: %s", err ? err : "the answer fails the controller's checks");
	json_object_object_add(res, "Payload", as_json(pr.payload));
	json_object_object_add(res, "Record", as_json(pr.record));
	json_object_object_add(res, "Waiting", json_object_new_boolean(pr.waiting));
	json_object_object_add(res, "RetryAfter", json_object_new_int64(pr.retry_after));
	json_object_object_add(res, "Message", str_or_null(pr.message));
	if (p->desc.kind == CLUSTERCTL_PLUGIN_STORAGE) {
		json_object_object_add(res, "StorageEnabled", json_object_new_boolean(pr.storage_enabled));
		json_object_object_add(res, "StorageVolume", str_or_null(pr.volume));
		json_object_object_add(res, "StorageMount", str_or_null(pr.mount));
		json_object_object_add(res, "StorageBrick", str_or_null(pr.brick));
	}
out:
	plan_result_free(&pr);
	free(err);
	free(observed);
	free(options);
	return r;
}

/* ABI 1.1: clusterctl node remove asks each provider to let a node go. */
static int run_forget(struct plugin *p, struct rec_host *h, json_object *in, json_object *res)
{
	json_object *n = NULL, *v;
	struct node_in ni;
	uint32_t flags = 0;
	char *message = NULL;
	int64_t t0;
	int r;

	if (!p->desc.forget) {
		json_object_object_add(res, "Skipped", json_object_new_string("the plugin has no forget (ABI 1.0)"));
		return 0;
	}
	if (in) {
		json_object_object_get_ex(in, "Node", &n);
		if (json_object_object_get_ex(in, "Force", &v) && json_object_get_boolean(v))
			flags |= CLUSTERCTL_FORGET_FORCE;
	}
	node_from(n, &ni);
	t0 = cc_mono_ms();
	r = p->desc.forget(p->state, &ni.node, flags, &message);
	t0 = cc_mono_ms() - t0;
	free(ni.record);
	json_object_object_add(res, "Milliseconds", json_object_new_int64(t0));
	json_object_object_add(res, "Message", str_or_null(message));
	if (t0 > CLUSTERCTL_PLAN_BUDGET_MS)
		rec_host_violation(h, "forget: took %lld ms, over the %d ms budget (it runs on the event loop)",
				   (long long)t0, CLUSTERCTL_PLAN_BUDGET_MS);
	free(message);
	return r;
}

static int event_kind(const char *s)
{
	if (!s || strcmp(s, "stored") == 0)
		return CLUSTERCTL_NODE_STORED;
	if (strcmp(s, "loaded") == 0)
		return CLUSTERCTL_NODE_LOADED;
	if (strcmp(s, "ready") == 0)
		return CLUSTERCTL_NODE_NODES_READY;
	if (strcmp(s, "removed") == 0)
		return CLUSTERCTL_NODE_REMOVED;
	return -1;
}

static int run_event(struct plugin *p, struct rec_host *h, json_object *in, json_object *res)
{
	json_object *n = NULL;
	struct node_in ni;
	int kind = event_kind(get_str(in, "Kind")), r;
	int64_t t0;

	if (kind < 0) {
		fprintf(stderr, "clusterctl-plugin-test: Kind must be loaded, ready, stored or removed\n");
		return -EINVAL;
	}
	if (!p->desc.node_event) {
		json_object_object_add(res, "Skipped", json_object_new_string("the plugin has no node_event"));
		return 0;
	}
	if (in)
		json_object_object_get_ex(in, "Node", &n);
	node_from(n, &ni);
	t0 = cc_mono_ms();
	r = p->desc.node_event(p->state, kind, kind == CLUSTERCTL_NODE_NODES_READY ? NULL : &ni.node);
	t0 = cc_mono_ms() - t0;
	free(ni.record);
	json_object_object_add(res, "Milliseconds", json_object_new_int64(t0));
	if (t0 > CLUSTERCTL_PLAN_BUDGET_MS)
		rec_host_violation(h, "node-event: took %lld ms, over the %d ms budget (master serve warns)",
				   (long long)t0, CLUSTERCTL_PLAN_BUDGET_MS);
	return r;
}

/* ---- the run ------------------------------------------------------------ */

/* What the plugin left in the data directory the harness made. */
static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static int set_str(char **field, const char *v)
{
	char *d;
	if (!v)
		return 0;
	if (!(d = strdup(v)))
		return -ENOMEM;
	free(*field);
	*field = d;
	return 0;
}

static int configure(struct plugin *p, const struct opts *o, const char *data_dir, struct config *cfg)
{
	struct plugin_registry reg = {.v = &p, .n = 1};
	char *err = NULL;
	int r;

	config_init_defaults(cfg);
	cfg->dry_run = o->dry_run;
	if (o->role)
		cfg->role = strcmp(o->role, "manager") == 0 ? ROLE_MANAGER : ROLE_WORKER;
	if (set_str(&cfg->node_state_dir, data_dir) < 0 || set_str(&cfg->hostname, o->hostname) < 0 ||
	    set_str(&cfg->ip, o->node_ip) < 0 || set_str(&cfg->master, o->master) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_options; i++) {
		const char *eq = strchr(o->options[i], '=');
		char *name;
		if (!eq || eq == o->options[i]) {
			fprintf(stderr, "clusterctl-plugin-test: --option wants KEY=VALUE, got \"%s\"\n", o->options[i]);
			return -EINVAL;
		}
		if (!(name = cc_strdupf("%s-%.*s", p->desc.name, (int)(eq - o->options[i]), o->options[i])))
			return -ENOMEM;
		r = config_set(cfg, name, eq + 1, "--option", CMD_ALL);
		free(name);
		if (r < 0) {
			fprintf(stderr, "clusterctl-plugin-test: %s\n", config_error());
			return -EINVAL;
		}
	}
	/* The same checks a run makes, with the same messages. */
	if ((r = plugin_check_config(&reg, cfg, &err)) < 0) {
		fprintf(stderr, "clusterctl-plugin-test: %s\n", err ? err : "out of memory");
		free(err);
		return r;
	}
	return plugin_check_required(p, cfg);
}

static int run_op(struct plugin *p, struct rec_host *h, const char *op, json_object *in, const char *in_text,
		  json_object *res)
{
	if (strcmp(op, "ensure") == 0 || strcmp(op, "master-prepare") == 0)
		return run_ensure(p, h, op, in_text, res);
	if (strcmp(op, "observe") == 0 || strcmp(op, "status") == 0)
		return run_text_op(p, h, op, res);
	if (strcmp(op, "plan") == 0)
		return run_plan(p, h, in, res);
	if (strcmp(op, "forget") == 0)
		return run_forget(p, h, in, res);
	return run_event(p, h, in, res);
}

static bool known_op(const char *op)
{
	static const char *const ops[] = {"observe", "ensure", "status", "master-prepare", "plan", "node-event",
					  "forget"};
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (strcmp(op, ops[i]) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct config cfg = {0};
	struct plugin *p = NULL;
	struct rec_host *h = NULL;
	json_object *in = NULL, *run_fx = NULL, *http_fx = NULL, *out = NULL, *res = NULL;
	char *in_text = NULL, *reason = NULL, *options = NULL, tmpdir[] = "/tmp/clusterctl-plugin-test-XXXXXX";
	const char *data_dir, *command;
	bool own_dir = false, want_options = false;
	int rc = EXIT_PT_USAGE, r, level;

	if ((r = parse_args(argc, argv, &o)) != 0) {
		rc = r > 0 ? EXIT_PT_OK : EXIT_PT_USAGE;
		goto out;
	}
	if ((level = log_level_parse(o.log_level ? o.log_level : "info")) < 0) {
		fprintf(stderr, "clusterctl-plugin-test: --log-level is debug, info, warn or error\n");
		goto out;
	}
	log_set_level(level);
	if (!known_op(o.op)) {
		fprintf(stderr, "clusterctl-plugin-test: unknown operation \"%s\" (observe, ensure, status, "
				"master-prepare, plan, node-event, forget)\n",
			o.op);
		goto out;
	}
	if ((o.input && !(in = read_json("--input", o.input + (o.input[0] == '@'), o.input[0] == '@', &in_text))) ||
	    (o.run_fixture && !(run_fx = read_json("--run-fixture", o.run_fixture, true, NULL))) ||
	    (o.http_fixture && !(http_fx = read_json("--http-fixture", o.http_fixture, true, NULL))))
		goto out;
	if ((run_fx && !json_object_is_type(run_fx, json_type_array)) ||
	    (http_fx && !json_object_is_type(http_fx, json_type_array))) {
		fprintf(stderr, "clusterctl-plugin-test: a fixture is a JSON array of answers\n");
		goto out;
	}
	if (plugin_load_file(o.file, &p, &reason) < 0) {
		fprintf(stderr, "clusterctl-plugin-test: refusing plugin %s: %s\n", o.file, reason ? reason : "?");
		goto out;
	}
	if (!(data_dir = o.data_dir)) {
		if (!mkdtemp(tmpdir)) {
			fprintf(stderr, "clusterctl-plugin-test: cannot create a data directory: %s\n", strerror(errno));
			goto out;
		}
		data_dir = tmpdir;
		own_dir = true;
	}
	if ((r = configure(p, &o, data_dir, &cfg)) < 0)
		goto out;
	command = o.command ? o.command : default_command(o.op);
	/* The host key "options" is what master init and serve give the
	 * overlay: master-prepare's input, or the plan's Options. */
	if (strcmp(o.op, "master-prepare") == 0 && in_text) {
		want_options = true;
		options = strdup(in_text);
	} else if (strcmp(o.op, "plan") == 0) {
		want_options = true;
		options = plain(in, "Options", "{}");
	}
	if ((want_options && !options) || host_ctx_set_facts(p->hctx, &(struct host_facts){.command = command,
							     .hostname = o.hostname ? o.hostname : "node-1",
							     .node_ip = o.node_ip,
							     .options = p->desc.kind == CLUSTERCTL_PLUGIN_OVERLAY ? options : NULL,
							     .read_only = strcmp(command, "status") == 0}) < 0 ||
	    !(h = rec_host_new(&p->host, &p->desc, run_fx, http_fx, o.allow_changes)) ||
	    !(out = json_object_new_object()) || !(res = json_object_new_object())) {
		fprintf(stderr, "clusterctl-plugin-test: out of memory\n");
		rc = EXIT_PT_FAILED;
		goto out;
	}
	rec_host_mark(h);
	if ((r = plugin_start_with(p, &cfg, rec_host_table(h))) < 0) {
		/* plugin_start logged the plugin's message. */
		if (!rec_host_error_called(h))
			rec_host_violation(h, "init: returned %d without calling error()", r);
		json_object_object_add(out, "Error", json_object_new_string(plugin_failure(p, r)));
	} else {
		rec_host_mark(h);
		host_ctx_clear_error(p->hctx);
		r = run_op(p, h, o.op, in, in_text, res);
		if (r < 0) {
			if (!rec_host_error_called(h))
				rec_host_violation(h, "%s: returned %d without calling error() (say what failed and "
						      "what fixes it)",
						   o.op, r);
			json_object_object_add(out, "Error", json_object_new_string(plugin_failure(p, r)));
		} else if (r > 0) {
			rec_host_violation(h, "%s: returned %d (want 0 or a negative errno)", o.op, r);
		}
		plugin_stop(p);
	}
	json_object_object_add(out, "Plugin", json_object_new_string(p->desc.name));
	json_object_object_add(out, "Kind", json_object_new_string(plugin_kind_name(p->desc.kind)));
	json_object_object_add(out, "Op", json_object_new_string(o.op));
	json_object_object_add(out, "Return", json_object_new_int(r));
	json_object_object_add(out, "Result", res);
	res = NULL;
	json_object_object_add(out, "HostCalls", json_object_get(rec_host_calls(h)));
	json_object_object_add(out, "Violations", json_object_get(rec_host_violations(h)));
	printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (json_object_array_length(rec_host_violations(h)))
		rc = EXIT_PT_CONTRACT;
	else
		rc = r < 0 ? EXIT_PT_FAILED : EXIT_PT_OK;
out:
	plugin_free(p);
	if (own_dir)
		nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	rec_host_free(h);
	json_object_put(out);
	json_object_put(res);
	json_object_put(in);
	json_object_put(run_fx);
	json_object_put(http_fx);
	free(in_text);
	free(options);
	free(reason);
	free(o.options);
	config_free(&cfg);
	return rc;
}
