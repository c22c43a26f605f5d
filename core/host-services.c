#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "host-services.h"
#include "http-unix.h"
#include "log.h"
#include "netlink.h"
#include "subprocess.h"
#include "util.h"

struct host_ctx {
	const struct clusterctl_plugin *desc;
	const struct config *cfg;
	char *suffix;   /* "plugin=<name>" */
	char *data_dir;
	char *error;
	char *role_str;
	char *node_ip;  /* overrides cfg->ip; kept until free (borrowed out) */
};

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

static void h_error(void *vctx, const char *fmt, ...)
{
	struct host_ctx *ctx = vctx;
	struct cc_buf sb = CC_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	cc_buf_vprintf(&sb, fmt, ap);
	va_end(ap);
	free(ctx->error);
	ctx->error = cc_buf_detach(&sb);
}

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
		return c->hostname;
	if (strcmp(key, "node-ip") == 0)
		return ctx->node_ip ? ctx->node_ip : c->ip;
	if (strcmp(key, "state-dir") == 0)
		return c->state_dir;
	if (strcmp(key, "node-state-dir") == 0)
		return c->node_state_dir;
	if (strcmp(key, "master") == 0)
		return c->master;
	if (strcmp(key, "role") == 0)
		return c->role == ROLE_MANAGER ? "manager" : "worker";
	return NULL;
}

static const char *h_data_dir(void *vctx)
{
	struct host_ctx *ctx = vctx;
	struct cc_buf sb = CC_BUF_INIT;
	int r;

	if (ctx->data_dir)
		return ctx->data_dir;
	if (!ctx->cfg || !ctx->cfg->node_state_dir)
		return NULL;
	cc_buf_printf(&sb, "%s/plugins/%s", ctx->cfg->node_state_dir, ctx->desc->name);
	if (sb.oom)
		return NULL;
	r = cc_mkdir_p(sb.buf, 0700);
	if (r < 0) {
		log_error("cannot create plugin data dir path=%s error=\"%s\"", sb.buf, strerror(-r));
		cc_buf_free(&sb);
		return NULL;
	}
	ctx->data_dir = cc_buf_detach(&sb);
	return ctx->data_dir;
}

static int h_run(void *vctx, const char *const argv[], const char *const env_extra[],
		 const char *stdin_data, int timeout_ms, struct clusterctl_run_result *res)
{
	struct host_ctx *ctx = vctx;
	if (argv && argv[0])
		log_debug("running program=%s plugin=%s", argv[0], ctx->desc->name);
	return spawn_run(argv, env_extra, stdin_data, timeout_ms, res);
}

static int h_http_unix(void *vctx, const char *sock, const char *method, const char *url,
		       const char *const headers[], const char *body, size_t body_len, int timeout_ms,
		       struct clusterctl_http_response *resp)
{
	return http_unix_request(sock, method, url, headers, body, body_len, timeout_ms, resp);
}

static int h_addr_list(void *c, struct clusterctl_ifaddr **out, size_t *n) { return nl_addr_list(out, n); }
static int h_link_get(void *c, const char *ifname, struct clusterctl_link *out) { return nl_link_get(ifname, out); }
static int h_link_set(void *c, const char *ifname, int up, uint32_t mtu) { return nl_link_set(ifname, up, mtu); }
static int h_addr_add(void *c, const char *ifname, const char *a, uint8_t p) { return nl_addr_add(ifname, a, p); }
static int h_addr_del(void *c, const char *ifname, const char *a, uint8_t p) { return nl_addr_del(ifname, a, p); }

int host_services_init(struct clusterctl_host *host, struct host_ctx **out,
		       const struct clusterctl_plugin *desc, const struct config *cfg)
{
	struct host_ctx *ctx = calloc(1, sizeof *ctx);
	struct cc_buf sb = CC_BUF_INIT;

	if (!ctx)
		return -ENOMEM;
	cc_buf_printf(&sb, "plugin=%s", desc->name);
	ctx->suffix = cc_buf_detach(&sb);
	if (!ctx->suffix) {
		free(ctx);
		return -ENOMEM;
	}
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
	};
	*out = ctx;
	return 0;
}

void host_ctx_set_config(struct host_ctx *ctx, const struct config *cfg) { ctx->cfg = cfg; }

int host_ctx_set_node_ip(struct host_ctx *ctx, const char *ip)
{
	/* Plugins may hold the string returned before: set once, never freed
	 * before the context. */
	if (ctx->node_ip)
		return strcmp(ctx->node_ip, ip) == 0 ? 0 : -EBUSY;
	ctx->node_ip = strdup(ip);
	return ctx->node_ip ? 0 : -ENOMEM;
}
const char *host_ctx_error(const struct host_ctx *ctx) { return ctx && ctx->error ? ctx->error : ""; }

void host_ctx_clear_error(struct host_ctx *ctx)
{
	free(ctx->error);
	ctx->error = NULL;
}

void host_ctx_free(struct host_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->suffix);
	free(ctx->node_ip);
	free(ctx->data_dir);
	free(ctx->error);
	free(ctx);
}
