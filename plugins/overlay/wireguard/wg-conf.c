/* The plugin's configuration: its config keys, and on the controller and
 * the master the --overlay-config options that override them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "wg.h"

static int conf_int(const struct clusterctl_host *h, const char *key, long long min, long long max, long long *out)
{
	const char *v = h->config_get(h->ctx, key);
	char *end;
	if (!v) {
		h->error(h->ctx, "option %s has no value", key);
		return -EINVAL;
	}
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno || *end || end == v || *out < min || *out > max) {
		h->error(h->ctx, "option %s wants a whole number in %lld..%lld, got \"%s\"", key, min, max, v);
		return -EINVAL;
	}
	return 0;
}

int wg_conf_load(const struct clusterctl_host *h, struct wg_conf *c)
{
	const char *ifname = h->config_get(h->ctx, "interface");
	const char *pool = h->config_get(h->ctx, "pool");
	const char *why;
	long long v;
	int r;

	memset(c, 0, sizeof *c);
	if (!wg_valid_ifname(ifname)) {
		h->error(h->ctx, "interface \"%s\" is not a valid interface name (1..15 of [A-Za-z0-9_.-])",
			 ifname ? ifname : "");
		return -EINVAL;
	}
	strcpy(c->ifname, ifname);
	if ((r = conf_int(h, "listen-port", 1, 65535, &v)) < 0)
		return r;
	c->listen_port = (uint16_t)v;
	if ((r = conf_int(h, "mtu", WG_MTU_MIN, WG_MTU_MAX, &v)) < 0)
		return r;
	c->mtu = (uint32_t)v;
	if ((r = conf_int(h, "keepalive", 0, 65535, &v)) < 0)
		return r;
	c->keepalive = (uint16_t)v;
	if ((r = conf_int(h, "forget-grace", 0, 7 * 86400, &v)) < 0)
		return r;
	c->forget_grace = (uint32_t)v;
	if (wg_parse_pool(pool, &c->pool.net, &c->pool.plen, &why) < 0) {
		h->error(h->ctx, "pool \"%s\" %s", pool ? pool : "", why);
		return -EINVAL;
	}
	return 0;
}

/* A whole-number option: 0 set, 1 absent, -EINVAL (explained). */
static int opt_int(const struct clusterctl_host *h, json_object *o, const char *name, int min, int max, long long *out)
{
	json_object *v;
	if (!json_object_object_get_ex(o, name, &v))
		return 1;
	*out = json_object_get_int64(v);
	if (!json_object_is_type(v, json_type_int) || *out < min || *out > max) {
		h->error(h->ctx, "--overlay-config: %s must be a whole number in %d..%d", name, min, max);
		return -EINVAL;
	}
	return 0;
}

int wg_conf_apply_options(const struct clusterctl_host *h, const struct wg_conf *base, const char *options_json,
			  struct wg_conf *c)
{
	json_object *o, *v;
	const char *why;
	long long x;
	int r = -EINVAL;

	*c = *base;
	if (!options_json || !*options_json)
		return 0;
	o = json_tokener_parse(options_json);
	if (!o || !json_object_is_type(o, json_type_object)) {
		h->error(h->ctx, "--overlay-config is not a JSON object");
		goto out;
	}
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		if (strcmp(key, "Interface") && strcmp(key, "ListenPort") && strcmp(key, "MTU") && strcmp(key, "Pool") &&
		    strcmp(key, "PersistentKeepalive")) {
			h->error(h->ctx, "--overlay-config: unknown key \"%s\" (known: Interface, ListenPort, MTU, Pool, "
					 "PersistentKeepalive)",
				 key);
			goto out;
		}
	}
	if ((r = opt_int(h, o, "ListenPort", 1, 65535, &x)) < 0)
		goto out;
	if (r == 0)
		c->listen_port = (uint16_t)x;
	if ((r = opt_int(h, o, "MTU", WG_MTU_MIN, WG_MTU_MAX, &x)) < 0)
		goto out;
	if (r == 0)
		c->mtu = (uint32_t)x;
	if ((r = opt_int(h, o, "PersistentKeepalive", 0, 65535, &x)) < 0)
		goto out;
	if (r == 0)
		c->keepalive = (uint16_t)x;
	r = -EINVAL;
	if (json_object_object_get_ex(o, "Interface", &v)) {
		const char *s = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) || !wg_valid_ifname(s)) {
			h->error(h->ctx, "--overlay-config: Interface is not a valid interface name");
			goto out;
		}
		strcpy(c->ifname, s);
	}
	if (json_object_object_get_ex(o, "Pool", &v)) {
		const char *s = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) || wg_parse_pool(s, &c->pool.net, &c->pool.plen, &why) < 0) {
			h->error(h->ctx, "--overlay-config: Pool %s",
				 json_object_is_type(v, json_type_string) ? why : "must be a string");
			goto out;
		}
	}
	r = 0;
out:
	json_object_put(o);
	return r;
}
