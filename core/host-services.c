/* The host services table.  Everything a plugin can reach is here, and
 * all of it may be called from any thread (clusterctl-plugin(7),
 * THREADS): the context is immutable once the plugin started, except the
 * node address (an atomic pointer whose old values stay valid), and the
 * error message lives per thread. */
#include "autoconfig.h"

#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "host-services.h"
#include "http-unix.h"
#include "ipdetect.h"
#include "log.h"
#include "netlink.h"
#include "subprocess.h"
#include "util.h"

/* A node-ip value a plugin may still hold: kept until the context goes. */
struct retired {
	char *s;
	struct retired *next;
};

struct host_ctx {
	const struct clusterctl_plugin *desc;
	const struct config *cfg;
	char *label;    /* <kind> plugin "<name>" */
	char *suffix;   /* "plugin=<name>" */
	char *data_dir;
	char *command, *hostname, *options;
	bool read_only;
	_Atomic(char *) node_ip; /* overrides cfg->ip */
	struct retired *retired;
	pthread_mutex_t mu;      /* writers of node_ip */
};

/* ---- the calling thread's error message ------------------------------ */

struct thread_error {
	const struct host_ctx *ctx;
	char *msg;
};

static pthread_key_t err_key;
static pthread_once_t err_once = PTHREAD_ONCE_INIT;

static void thread_error_free(void *p)
{
	struct thread_error *e = p;
	if (e)
		free(e->msg);
	free(e);
}

static void err_key_make(void) { pthread_key_create(&err_key, thread_error_free); }

static struct thread_error *thread_error(bool create)
{
	struct thread_error *e;
	pthread_once(&err_once, err_key_make);
	e = pthread_getspecific(err_key);
	if (!e && create && (e = calloc(1, sizeof *e)) && pthread_setspecific(err_key, e) != 0) {
		free(e);
		e = NULL;
	}
	return e;
}

static void h_log(void *vctx, int level, const char *fmt, ...) CLUSTERCTL_PRINTF(3, 4);
static void h_log(void *vctx, int level, const char *fmt, ...)
{
	struct host_ctx *ctx = vctx;
	va_list ap;
	if (level < CLUSTERCTL_LOG_DEBUG || level > CLUSTERCTL_LOG_ERROR)
		level = CLUSTERCTL_LOG_INFO;
	va_start(ap, fmt);
	log_vmsg(level, ctx->suffix, fmt, ap);
	va_end(ap);
}

static void h_error(void *vctx, const char *fmt, ...) CLUSTERCTL_PRINTF(2, 3);
static void h_error(void *vctx, const char *fmt, ...)
{
	struct host_ctx *ctx = vctx;
	struct thread_error *e = thread_error(true);
	struct cc_buf sb = CC_BUF_INIT;
	va_list ap;

	if (!e)
		return;
	cc_buf_printf(&sb, "%s: ", ctx->label);
	va_start(ap, fmt);
	cc_buf_vprintf(&sb, fmt, ap);
	va_end(ap);
	free(e->msg);
	e->msg = cc_buf_detach(&sb);
	e->ctx = ctx;
}

const char *host_ctx_error(const struct host_ctx *ctx)
{
	struct thread_error *e = thread_error(false);
	return e && e->ctx == ctx && e->msg ? e->msg : "";
}

void host_ctx_clear_error(struct host_ctx *ctx)
{
	struct thread_error *e = thread_error(false);
	if (e && e->ctx == ctx) {
		free(e->msg);
		e->msg = NULL;
		e->ctx = NULL;
	}
}

const char *host_ctx_label(const struct host_ctx *ctx) { return ctx->label; }

/* ---- configuration and host keys ------------------------------------- */

static const char *h_config_get(void *vctx, const char *key)
{
	struct host_ctx *ctx = vctx;
	const struct config *c = ctx->cfg;
	const char *v;

	if (!c || !key)
		return NULL;
	v = config_plugin_get(c, ctx->desc->name, key);
	if (v)
		return v;
	for (const struct clusterctl_config_key *k = ctx->desc->config_keys; k && k->name; k++)
		if (strcmp(k->name, key) == 0)
			return k->default_value;
	if (strcmp(key, "hostname") == 0)
		return ctx->hostname ? ctx->hostname : c->hostname;
	if (strcmp(key, "node-ip") == 0) {
		char *ip = atomic_load(&ctx->node_ip);
		return ip ? ip : c->ip;
	}
	if (strcmp(key, "state-dir") == 0)
		return c->state_dir;
	if (strcmp(key, "node-state-dir") == 0)
		return c->node_state_dir;
	if (strcmp(key, "master") == 0)
		return c->master;
	if (strcmp(key, "role") == 0)
		return c->role == ROLE_MANAGER ? "manager" : "worker";
	if (strcmp(key, "command") == 0)
		return ctx->command;
	if (strcmp(key, "dry-run") == 0)
		return c->dry_run ? "true" : "false";
	if (strcmp(key, "options") == 0)
		return ctx->options ? ctx->options : "{}";
	return NULL;
}

static const char *h_data_dir(void *vctx) { return ((struct host_ctx *)vctx)->data_dir; }

/* ---- programs and HTTP ------------------------------------------------ */

/* The 1.0 layouts: a plugin's struct may be longer (a later minor), never
 * shorter. */
#define RUN_RESULT_V1 (offsetof(struct clusterctl_run_result, err_len) + sizeof(size_t))
#define HTTP_RESPONSE_V1 (offsetof(struct clusterctl_http_response, content_type) + sizeof(char *))

/* The plugin set the size of the struct the host fills (its _INIT
 * macro), or the call is refused and logged: the host must not write
 * past what the plugin has. */
static bool size_set(const struct host_ctx *ctx, uint64_t have, size_t need, const char *call, const char *init)
{
	if (have >= need)
		return true;
	log_error("%s called %s without setting its struct_size (initialise it with %s): refused", ctx->label, call,
		  init);
	return false;
}

static int h_run(void *vctx, const char *const argv[], const char *const env_extra[],
		 const char *stdin_data, int timeout_ms, struct clusterctl_run_result *res)
{
	struct host_ctx *ctx = vctx;
	struct clusterctl_run_result full;
	uint64_t size;
	int r;

	if (!res || !size_set(ctx, res->struct_size, RUN_RESULT_V1, "run()", "CLUSTERCTL_RUN_RESULT_INIT"))
		return -EINVAL;
	size = res->struct_size;
	if (argv && argv[0])
		log_debug("running program=%s plugin=%s", argv[0], ctx->desc->name);
	r = spawn_run(argv, env_extra, stdin_data, timeout_ms, &full);
	memcpy(res, &full, size < sizeof full ? size : sizeof full);
	res->struct_size = size;
	return r;
}

static int h_http_unix(void *vctx, const char *sock, const char *method, const char *url,
		       const char *const headers[], const char *body, size_t body_len, int timeout_ms,
		       struct clusterctl_http_response *resp)
{
	struct host_ctx *ctx = vctx;
	struct clusterctl_http_response full;
	uint64_t size;
	int r;

	if (!resp ||
	    !size_set(ctx, resp->struct_size, HTTP_RESPONSE_V1, "http_unix()", "CLUSTERCTL_HTTP_RESPONSE_INIT"))
		return -EINVAL;
	size = resp->struct_size;
	r = http_unix_request(sock, method, url, headers, body, body_len, timeout_ms, &full);
	memcpy(resp, &full, size < sizeof full ? size : sizeof full);
	resp->struct_size = size;
	return r;
}

/* ---- netlink and addresses -------------------------------------------- */

static int h_addr_list(void *c, struct clusterctl_ifaddr **out, size_t *n) { return nl_addr_list(out, n); }
static int h_link_get(void *c, const char *ifname, struct clusterctl_link *out) { return nl_link_get(ifname, out); }
static int h_link_set(void *c, const char *ifname, int up, uint32_t mtu) { return nl_link_set(ifname, up, mtu); }
static int h_addr_add(void *c, const char *ifname, const char *a, uint8_t p) { return nl_addr_add(ifname, a, p); }
static int h_addr_del(void *c, const char *ifname, const char *a, uint8_t p) { return nl_addr_del(ifname, a, p); }
static int h_link_add(void *c, const char *ifname, const char *kind) { return nl_link_add(ifname, kind); }
static int h_link_del(void *c, const char *ifname) { return nl_link_del(ifname); }
static int h_genl_family(void *c, const char *name, uint16_t *id) { return nl_genl_family(name, id); }

static int h_nl_transact(void *c, int protocol, const void *req, size_t len, clusterctl_nl_msg_cb on_msg,
			 clusterctl_nl_restart_cb on_restart, void *arg)
{
	return nl_transact(protocol, req, len, on_msg, on_restart, arg);
}

#define IP_QUERY_V1 (offsetof(struct clusterctl_ip_query, flags) + sizeof(uint32_t))

static bool name_matches(const char *patterns, const char *name)
{
	const char *p = patterns;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char pat[64];
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n && n < sizeof pat) {
			memcpy(pat, p, n);
			pat[n] = '\0';
			if (fnmatch(pat, name, 0) == 0)
				return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* The core's ranking (ipdetect_rank) of this host's addresses, the
 * eligible ones best first, narrowed by the plugin's query. */
static int h_ip_rank(void *vctx, const struct clusterctl_ip_query *q, struct clusterctl_ifaddr **out,
		     size_t *n)
{
	struct host_ctx *ctx = vctx;
	struct clusterctl_ifaddr *all = NULL, *v = NULL;
	struct ipdetect_result res;
	struct cc_buf excl = CC_BUF_INIT;
	const char *admin = ctx->cfg ? ctx->cfg->exclude_interfaces : NULL;
	size_t cnt = 0, k = 0;
	char *err = NULL;
	int r;

	*out = NULL;
	*n = 0;
	if (q && !size_set(ctx, q->struct_size, IP_QUERY_V1, "ip_rank()", "CLUSTERCTL_IP_QUERY_INIT"))
		return -EINVAL;
	if ((r = nl_addr_list(&all, &cnt)) < 0)
		return r;
	/* The admin's exclusions always apply: a plugin narrows, never widens. */
	if (admin && *admin)
		cc_buf_puts(&excl, admin);
	if (q && q->exclude_ifnames && *q->exclude_ifnames)
		cc_buf_printf(&excl, "%s%s", excl.len ? "," : "", q->exclude_ifnames);
	if (excl.oom) {
		r = -ENOMEM;
		goto out;
	}
	r = ipdetect_rank(all, cnt, &(struct ipdetect_opts){.exclude = excl.buf}, &res, &err);
	if (r < 0 && r != -EADDRNOTAVAIL)
		goto out_res;
	r = 0;
	if (res.n_cands && !(v = calloc(res.n_cands, sizeof *v))) {
		r = -ENOMEM;
		goto out_res;
	}
	for (size_t i = 0; i < res.n_cands; i++) {
		const struct ipdetect_candidate *c = &res.cands[i];
		if (c->rejected)
			continue;
		if (q && q->include_ifnames && !name_matches(q->include_ifnames, c->a.ifname))
			continue;
		if (q && (q->flags & CLUSTERCTL_IP_NO_CGNAT) && c->ip_class == IPCLASS_CGNAT)
			continue;
		if (q && (q->flags & CLUSTERCTL_IP_NO_LOOPBACK) && c->ip_class == IPCLASS_LOOPBACK)
			continue;
		v[k++] = c->a;
	}
	if (k) {
		*out = v;
		*n = k;
		v = NULL;
	}
out_res:
	free(v);
	free(err);
	ipdetect_result_free(&res);
out:
	cc_buf_free(&excl);
	free(all);
	return r;
}

/* ---- the table -------------------------------------------------------- */

int host_services_init(struct clusterctl_host *host, struct host_ctx **out,
		       const struct clusterctl_plugin *desc, const struct config *cfg)
{
	struct host_ctx *ctx = calloc(1, sizeof *ctx);

	if (!ctx)
		return -ENOMEM;
	ctx->suffix = cc_strdupf("plugin=%s", desc->name);
	ctx->label = cc_strdupf("%s plugin \"%s\"",
			     desc->kind == CLUSTERCTL_PLUGIN_STORAGE ? "storage" : "overlay", desc->name);
	if (!ctx->suffix || !ctx->label) {
		free(ctx->suffix);
		free(ctx->label);
		free(ctx);
		return -ENOMEM;
	}
	pthread_mutex_init(&ctx->mu, NULL);
	ctx->desc = desc;
	ctx->cfg = cfg;
	*host = (struct clusterctl_host){
		.struct_size = sizeof *host,
		.abi_major = CLUSTERCTL_PLUGIN_ABI_MAJOR,
		.abi_minor = CLUSTERCTL_PLUGIN_ABI_MINOR,
		.ctx = ctx,
		.log = h_log,
		.error = h_error,
		.config_get = h_config_get,
		.data_dir = h_data_dir,
		.run = h_run,
		.run_result_free = spawn_result_free,
		.http_unix = h_http_unix,
		.http_response_free = http_unix_response_free,
		.addr_list = h_addr_list,
		.link_get = h_link_get,
		.link_set = h_link_set,
		.addr_add = h_addr_add,
		.addr_del = h_addr_del,
		.ip_rank = h_ip_rank,
		.link_add = h_link_add,
		.link_del = h_link_del,
		.genl_family = h_genl_family,
		.nl_transact = h_nl_transact,
	};
	*out = ctx;
	return 0;
}

static int dup_into(char **dst, const char *s)
{
	char *d = NULL;
	if (s && !(d = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

int host_ctx_set_facts(struct host_ctx *ctx, const struct host_facts *f)
{
	if (dup_into(&ctx->command, f->command) < 0 || dup_into(&ctx->hostname, f->hostname) < 0 ||
	    dup_into(&ctx->options, f->options) < 0)
		return -ENOMEM;
	ctx->read_only = f->read_only;
	return f->node_ip ? host_ctx_set_node_ip(ctx, f->node_ip) : 0;
}

void host_ctx_set_config(struct host_ctx *ctx, const struct config *cfg)
{
	char *dir;
	int r;

	ctx->cfg = cfg;
	if (ctx->data_dir || !cfg || !cfg->node_state_dir)
		return;
	if (!(dir = cc_strdupf("%s/plugins/%s", cfg->node_state_dir, ctx->desc->name)))
		return;
	/* Fixed now, before any thread of the plugin can ask.  A dry run
	 * or a command that only looks (status) names it without creating
	 * it: no side effect. */
	if (!cfg->dry_run && !ctx->read_only && (r = cc_mkdir_p(dir, 0700)) < 0) {
		log_error("cannot create the data directory of %s path=%s error=\"%s\"", ctx->label, dir,
			  strerror(-r));
		free(dir);
		return;
	}
	ctx->data_dir = dir;
}

int host_ctx_set_node_ip(struct host_ctx *ctx, const char *ip)
{
	struct retired *old = NULL;
	char *cur, *n;

	pthread_mutex_lock(&ctx->mu);
	cur = atomic_load(&ctx->node_ip);
	if (cur && strcmp(cur, ip) == 0) {
		pthread_mutex_unlock(&ctx->mu);
		return 0;
	}
	if (!(n = strdup(ip)) || (cur && !(old = malloc(sizeof *old)))) {
		pthread_mutex_unlock(&ctx->mu);
		free(n);
		return -ENOMEM;
	}
	if (cur) {
		/* A plugin may hold the string config_get gave it. */
		old->s = cur;
		old->next = ctx->retired;
		ctx->retired = old;
	}
	atomic_store(&ctx->node_ip, n);
	pthread_mutex_unlock(&ctx->mu);
	return 0;
}

void host_ctx_free(struct host_ctx *ctx)
{
	if (!ctx)
		return;
	host_ctx_clear_error(ctx);
	while (ctx->retired) {
		struct retired *r = ctx->retired;
		ctx->retired = r->next;
		free(r->s);
		free(r);
	}
	free(atomic_load(&ctx->node_ip));
	free(ctx->suffix);
	free(ctx->label);
	free(ctx->data_dir);
	free(ctx->command);
	free(ctx->hostname);
	free(ctx->options);
	pthread_mutex_destroy(&ctx->mu);
	free(ctx);
}
