/* The harness's recording host table (clusterctl-plugin-test).  Every
 * service a plugin calls is recorded as one JSON object in the order of
 * the calls; a plugin's own threads may call in, so the record has a
 * lock.  What only reads this host goes to the core's real services, so
 * a plugin sees the addresses and links it will see in a run; what
 * would change the host or reach beyond it does not happen unless a
 * fixture or --allow-changes says so. */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cc-buf.h"
#include "http-unix.h"
#include "plugin-test.h"
#include "subprocess.h"

struct rec_host {
	struct clusterctl_host table; /* first: the plugin's ctx is this struct */
	const struct clusterctl_host *real;
	const struct clusterctl_plugin *desc;
	json_object *run_fixture, *http_fixture; /* borrowed */
	bool allow_changes;
	pthread_mutex_t mu;
	json_object *calls, *violations;
	bool error_called;
};

static const char *level_name(int level)
{
	switch (level) {
	case CLUSTERCTL_LOG_DEBUG: return "debug";
	case CLUSTERCTL_LOG_INFO: return "info";
	case CLUSTERCTL_LOG_WARN: return "warn";
	case CLUSTERCTL_LOG_ERROR: return "error";
	}
	return "unknown";
}

/* Takes o; adds {"Call": call, ...o} to the record. */
static void record(struct rec_host *h, const char *call, json_object *o)
{
	json_object *c = json_object_new_object();

	if (!o || !c) {
		json_object_put(o);
		json_object_put(c);
		return;
	}
	json_object_object_add(c, "Call", json_object_new_string(call));
	json_object_object_foreach(o, k, v)
		json_object_object_add(c, k, json_object_get(v));
	json_object_put(o);
	pthread_mutex_lock(&h->mu);
	json_object_array_add(h->calls, c);
	pthread_mutex_unlock(&h->mu);
}

void rec_host_violation(struct rec_host *h, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = cc_vstrdupf(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&h->mu);
	json_object_array_add(h->violations, json_object_new_string(s ? s : "out of memory"));
	pthread_mutex_unlock(&h->mu);
	free(s);
}

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

static json_object *argv_json(const char *const argv[])
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; argv && argv[i] && i < 256; i++)
		json_object_array_add(a, json_object_new_string(argv[i]));
	return a;
}

/* ---- what goes to the core ------------------------------------------ */

static void r_log(void *ctx, int level, const char *fmt, ...) CLUSTERCTL_PRINTF(3, 4);
static void r_log(void *ctx, int level, const char *fmt, ...)
{
	struct rec_host *h = ctx;
	json_object *o = json_object_new_object();
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = cc_vstrdupf(fmt, ap);
	va_end(ap);
	if (level < CLUSTERCTL_LOG_DEBUG || level > CLUSTERCTL_LOG_ERROR)
		rec_host_violation(h, "log() with level %d, which the ABI does not have", level);
	json_object_object_add(o, "Level", json_object_new_string(level_name(level)));
	json_object_object_add(o, "Message", json_object_new_string(msg ? msg : ""));
	record(h, "log", o);
	h->real->log(h->real->ctx, level, "%s", msg ? msg : "");
	free(msg);
}

static void r_error(void *ctx, const char *fmt, ...) CLUSTERCTL_PRINTF(2, 3);
static void r_error(void *ctx, const char *fmt, ...)
{
	struct rec_host *h = ctx;
	json_object *o = json_object_new_object();
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = cc_vstrdupf(fmt, ap);
	va_end(ap);
	json_object_object_add(o, "Message", json_object_new_string(msg ? msg : ""));
	record(h, "error", o);
	pthread_mutex_lock(&h->mu);
	h->error_called = true;
	pthread_mutex_unlock(&h->mu);
	/* The core keeps the message per thread, as in a run. */
	h->real->error(h->real->ctx, "%s", msg ? msg : "");
	free(msg);
}

static bool is_secret(const struct rec_host *h, const char *key)
{
	for (const struct clusterctl_config_key *k = h->desc->config_keys; k && k->name; k++)
		if (strcmp(k->name, key) == 0)
			return k->flags & CLUSTERCTL_CONFIG_SECRET;
	return false;
}

static const char *r_config_get(void *ctx, const char *key)
{
	struct rec_host *h = ctx;
	const char *v = h->real->config_get(h->real->ctx, key);
	json_object *o = json_object_new_object();

	json_object_object_add(o, "Key", str_or_null(key));
	/* The provider options (--overlay-config) are where secrets live. */
	if (v && key && (is_secret(h, key) || strcmp(key, "options") == 0))
		json_object_object_add(o, "Value", json_object_new_string("(secret)"));
	else
		json_object_object_add(o, "Value", str_or_null(v));
	record(h, "config_get", o);
	return v;
}

static const char *r_data_dir(void *ctx)
{
	struct rec_host *h = ctx;
	const char *v = h->real->data_dir(h->real->ctx);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "Value", str_or_null(v));
	record(h, "data_dir", o);
	return v;
}

/* ---- programs and HTTP: fixtures or a refusal ------------------------- */

static bool argv_matches(json_object *want, const char *const argv[])
{
	size_t n = 0;
	if (!json_object_is_type(want, json_type_array))
		return false;
	for (; argv[n]; n++)
		if (n >= json_object_array_length(want) ||
		    strcmp(json_object_get_string(json_object_array_get_idx(want, n)), argv[n]) != 0)
			return false;
	return n == json_object_array_length(want);
}

static const char *field_str(json_object *o, const char *k, const char *dflt)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : dflt;
}

static int field_int(json_object *o, const char *k, int dflt)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int) ? json_object_get_int(v)
											      : dflt;
}

#define RUN_RESULT_V1 (offsetof(struct clusterctl_run_result, err_len) + sizeof(size_t))
#define HTTP_RESPONSE_V1 (offsetof(struct clusterctl_http_response, content_type) + sizeof(char *))

static int r_run(void *ctx, const char *const argv[], const char *const env_extra[], const char *stdin_data,
		 int timeout_ms, struct clusterctl_run_result *res)
{
	struct rec_host *h = ctx;
	json_object *o = json_object_new_object(), *fx = NULL;
	struct clusterctl_run_result full = {0};
	uint64_t size;
	int r = -EPERM;

	(void)env_extra; /* may hold secrets: never recorded */
	json_object_object_add(o, "Argv", argv_json(argv));
	json_object_object_add(o, "TimeoutMs", json_object_new_int(timeout_ms));
	json_object_object_add(o, "Stdin", json_object_new_boolean(stdin_data != NULL));
	if (!res || res->struct_size < RUN_RESULT_V1) {
		rec_host_violation(h, "run() without struct_size in its result (initialise it with "
				      "CLUSTERCTL_RUN_RESULT_INIT)");
		json_object_object_add(o, "Answer", json_object_new_string("refused: no struct_size"));
		record(h, "run", o);
		return -EINVAL;
	}
	if (!argv || !argv[0]) {
		rec_host_violation(h, "run() without a program (argv[0] is NULL)");
		r = -EINVAL;
	} else if (timeout_ms <= 0) {
		rec_host_violation(h, "run(%s) without a deadline (timeout_ms %d)", argv[0], timeout_ms);
		r = -EINVAL;
	}
	for (size_t i = 0; r == -EPERM && h->run_fixture && i < json_object_array_length(h->run_fixture); i++) {
		json_object *e = json_object_array_get_idx(h->run_fixture, i), *want;
		if (json_object_object_get_ex(e, "Argv", &want) && argv_matches(want, argv))
			fx = e;
		if (fx)
			break;
	}
	if (fx) {
		const char *out = field_str(fx, "Stdout", ""), *err = field_str(fx, "Stderr", "");
		full.exit_status = field_int(fx, "Exit", 0);
		full.out = strdup(out);
		full.err = strdup(err);
		full.out_len = strlen(out);
		full.err_len = strlen(err);
		r = full.out && full.err ? 0 : -ENOMEM;
	} else {
		full.exit_status = -1;
		full.out = strdup("");
		full.err = strdup("");
	}
	json_object_object_add(o, "Answer", json_object_new_string(fx ? "fixture" : "refused"));
	json_object_object_add(o, "Return", json_object_new_int(r));
	record(h, "run", o);
	size = res->struct_size;
	memcpy(res, &full, size < sizeof full ? size : sizeof full);
	res->struct_size = size;
	return r;
}

static int r_http_unix(void *ctx, const char *sock, const char *method, const char *url,
		       const char *const headers[], const char *body, size_t body_len, int timeout_ms,
		       struct clusterctl_http_response *resp)
{
	struct rec_host *h = ctx;
	json_object *o = json_object_new_object(), *fx = NULL;
	struct clusterctl_http_response full = {0};
	uint64_t size;
	int r = -ECONNREFUSED;

	(void)headers, (void)body; /* may hold secrets: never recorded */
	json_object_object_add(o, "Socket", str_or_null(sock));
	json_object_object_add(o, "Method", str_or_null(method));
	json_object_object_add(o, "Url", str_or_null(url));
	json_object_object_add(o, "BodyBytes", json_object_new_int64((int64_t)body_len));
	if (!resp || resp->struct_size < HTTP_RESPONSE_V1) {
		rec_host_violation(h, "http_unix() without struct_size in its response (initialise it with "
				      "CLUSTERCTL_HTTP_RESPONSE_INIT)");
		record(h, "http_unix", o);
		return -EINVAL;
	}
	if (timeout_ms <= 0)
		rec_host_violation(h, "http_unix(%s) without a deadline (timeout_ms %d)", url ? url : "?", timeout_ms);
	for (size_t i = 0; h->http_fixture && method && url && i < json_object_array_length(h->http_fixture); i++) {
		json_object *e = json_object_array_get_idx(h->http_fixture, i);
		if (strcmp(field_str(e, "Method", "GET"), method) == 0 && strcmp(field_str(e, "Url", ""), url) == 0) {
			fx = e;
			break;
		}
	}
	if (fx) {
		const char *b = field_str(fx, "Body", ""), *ct = field_str(fx, "ContentType", NULL);
		full.status = field_int(fx, "Status", 200);
		full.body = strdup(b);
		full.body_len = strlen(b);
		full.content_type = ct ? strdup(ct) : NULL;
		r = full.body && (!ct || full.content_type) ? 0 : -ENOMEM;
	}
	json_object_object_add(o, "Answer", json_object_new_string(fx ? "fixture" : "refused"));
	json_object_object_add(o, "Return", json_object_new_int(r));
	record(h, "http_unix", o);
	size = resp->struct_size;
	memcpy(resp, &full, size < sizeof full ? size : sizeof full);
	resp->struct_size = size;
	return r;
}

/* ---- netlink: reads go through, changes only when allowed ------------- */

static int simple(struct rec_host *h, const char *call, const char *ifname, int r)
{
	json_object *o = json_object_new_object();
	if (ifname)
		json_object_object_add(o, "Ifname", json_object_new_string(ifname));
	json_object_object_add(o, "Return", json_object_new_int(r));
	record(h, call, o);
	return r;
}

static int refused(struct rec_host *h, const char *call, const char *ifname)
{
	json_object *o = json_object_new_object();
	if (ifname)
		json_object_object_add(o, "Ifname", json_object_new_string(ifname));
	json_object_object_add(o, "Answer", json_object_new_string("refused (give --allow-changes)"));
	json_object_object_add(o, "Return", json_object_new_int(-EPERM));
	record(h, call, o);
	return -EPERM;
}

static int r_addr_list(void *ctx, struct clusterctl_ifaddr **out, size_t *n)
{
	struct rec_host *h = ctx;
	return simple(h, "addr_list", NULL, h->real->addr_list(h->real->ctx, out, n));
}

static int r_link_get(void *ctx, const char *ifname, struct clusterctl_link *out)
{
	struct rec_host *h = ctx;
	return simple(h, "link_get", ifname, h->real->link_get(h->real->ctx, ifname, out));
}

static int r_link_set(void *ctx, const char *ifname, int up, uint32_t mtu)
{
	struct rec_host *h = ctx;
	if (!h->allow_changes)
		return refused(h, "link_set", ifname);
	return simple(h, "link_set", ifname, h->real->link_set(h->real->ctx, ifname, up, mtu));
}

static int r_addr_add(void *ctx, const char *ifname, const char *addr, uint8_t prefix)
{
	struct rec_host *h = ctx;
	if (!h->allow_changes)
		return refused(h, "addr_add", ifname);
	return simple(h, "addr_add", ifname, h->real->addr_add(h->real->ctx, ifname, addr, prefix));
}

static int r_addr_del(void *ctx, const char *ifname, const char *addr, uint8_t prefix)
{
	struct rec_host *h = ctx;
	if (!h->allow_changes)
		return refused(h, "addr_del", ifname);
	return simple(h, "addr_del", ifname, h->real->addr_del(h->real->ctx, ifname, addr, prefix));
}

static int r_ip_rank(void *ctx, const struct clusterctl_ip_query *q, struct clusterctl_ifaddr **out, size_t *n)
{
	struct rec_host *h = ctx;
	json_object *o = json_object_new_object();
	int r = h->real->ip_rank(h->real->ctx, q, out, n);

	if (r == -EINVAL && q && q->struct_size == 0)
		rec_host_violation(h, "ip_rank() without struct_size in its query (initialise it with "
				      "CLUSTERCTL_IP_QUERY_INIT)");
	if (q)
		json_object_object_add(o, "Include", str_or_null(q->include_ifnames));
	json_object_object_add(o, "Return", json_object_new_int(r));
	json_object_object_add(o, "Count", json_object_new_int64(r == 0 ? (int64_t)*n : 0));
	record(h, "ip_rank", o);
	return r;
}

static int r_link_add(void *ctx, const char *ifname, const char *kind)
{
	struct rec_host *h = ctx;
	if (!h->allow_changes)
		return refused(h, "link_add", ifname);
	return simple(h, "link_add", ifname, h->real->link_add(h->real->ctx, ifname, kind));
}

static int r_link_del(void *ctx, const char *ifname)
{
	struct rec_host *h = ctx;
	if (!h->allow_changes)
		return refused(h, "link_del", ifname);
	return simple(h, "link_del", ifname, h->real->link_del(h->real->ctx, ifname));
}

static int r_genl_family(void *ctx, const char *name, uint16_t *id)
{
	struct rec_host *h = ctx;
	return simple(h, "genl_family", NULL, h->real->genl_family(h->real->ctx, name, id));
}

/* A transaction may as well change the host as read it: only with
 * --allow-changes. */
static int r_nl_transact(void *ctx, int protocol, const void *req, size_t len, clusterctl_nl_msg_cb on_msg,
			 clusterctl_nl_restart_cb on_restart, void *arg)
{
	struct rec_host *h = ctx;
	if (!h->allow_changes)
		return refused(h, "nl_transact", NULL);
	return simple(h, "nl_transact", NULL,
		      h->real->nl_transact(h->real->ctx, protocol, req, len, on_msg, on_restart, arg));
}

/* ---- the table -------------------------------------------------------- */

struct rec_host *rec_host_new(const struct clusterctl_host *real, const struct clusterctl_plugin *desc,
			      json_object *run_fixture, json_object *http_fixture, bool allow_changes)
{
	struct rec_host *h = calloc(1, sizeof *h);

	if (!h)
		return NULL;
	h->calls = json_object_new_array();
	h->violations = json_object_new_array();
	if (!h->calls || !h->violations) {
		json_object_put(h->calls);
		json_object_put(h->violations);
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	h->real = real;
	h->desc = desc;
	h->run_fixture = run_fixture;
	h->http_fixture = http_fixture;
	h->allow_changes = allow_changes;
	h->table = (struct clusterctl_host){
		.struct_size = sizeof h->table,
		.abi_major = real->abi_major,
		.abi_minor = real->abi_minor,
		.ctx = h,
		.log = r_log,
		.error = r_error,
		.config_get = r_config_get,
		.data_dir = r_data_dir,
		.run = r_run,
		.run_result_free = spawn_result_free,
		.http_unix = r_http_unix,
		.http_response_free = http_unix_response_free,
		.addr_list = r_addr_list,
		.link_get = r_link_get,
		.link_set = r_link_set,
		.addr_add = r_addr_add,
		.addr_del = r_addr_del,
		.ip_rank = r_ip_rank,
		.link_add = r_link_add,
		.link_del = r_link_del,
		.genl_family = r_genl_family,
		.nl_transact = r_nl_transact,
	};
	return h;
}

const struct clusterctl_host *rec_host_table(struct rec_host *h) { return &h->table; }
json_object *rec_host_calls(struct rec_host *h) { return h->calls; }
json_object *rec_host_violations(struct rec_host *h) { return h->violations; }

void rec_host_mark(struct rec_host *h)
{
	pthread_mutex_lock(&h->mu);
	h->error_called = false;
	pthread_mutex_unlock(&h->mu);
}

bool rec_host_error_called(struct rec_host *h)
{
	bool v;
	pthread_mutex_lock(&h->mu);
	v = h->error_called;
	pthread_mutex_unlock(&h->mu);
	return v;
}

void rec_host_free(struct rec_host *h)
{
	if (!h)
		return;
	json_object_put(h->calls);
	json_object_put(h->violations);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
