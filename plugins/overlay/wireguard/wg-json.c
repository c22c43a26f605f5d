/* The JSON the plugin exchanges, each validated field by field:
 *   OverlayPayload  controller -> node  (wg_payload)
 *   record          controller state per node (wg_record)
 *   Observed.Overlay node -> controller (wg_observed)
 * Unknown keys are ignored (a newer peer may add some); every key we use
 * must have its type and range, or the whole document is refused. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "cc-buf.h"
#include "cc-net.h"
#include "wg.h"

#define MAX_JSON (4u << 20)

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **err, const char *fmt, ...)
{
	struct cc_buf b = CC_BUF_INIT;
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	cc_buf_puts(&b, tmp);
	free(*err);
	*err = cc_buf_detach(&b);
	return -EINVAL;
}

static json_object *parse_object(const char *json, const char *what, char **err)
{
	json_tokener *tok;
	json_object *o;
	size_t len;

	if (!json)
		return fail(err, "%s: missing", what), NULL;
	len = strlen(json);
	if (len > MAX_JSON)
		return fail(err, "%s: larger than %u bytes", what, MAX_JSON), NULL;
	tok = json_tokener_new();
	if (!tok)
		return fail(err, "out of memory"), NULL;
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		/* trailing bytes after a complete value are refused too */
		size_t end = json_tokener_get_parse_end(tok);
		bool only_space = o != NULL;
		for (size_t i = end; only_space && i < len; i++)
			only_space = json[i] == ' ' || json[i] == '\n' || json[i] == '\t' || json[i] == '\r';
		if (!only_space) {
			fail(err, "%s: not valid JSON (%s)", what,
			     json_tokener_error_desc(json_tokener_get_error(tok)));
			json_object_put(o);
			json_tokener_free(tok);
			return NULL;
		}
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		fail(err, "%s: not a JSON object", what);
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Field getters: 0 found and valid, 1 absent (or null), -EINVAL bad. */
static int get_str(json_object *o, const char *key, const char **out, const char *what, char **err)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 1;
	if (!json_object_is_type(v, json_type_string))
		return fail(err, "%s: %s must be a string", what, key);
	*out = json_object_get_string(v);
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return fail(err, "%s: %s holds a NUL byte", what, key);
	return 0;
}

static int get_int(json_object *o, const char *key, long long min, long long max, long long *out,
		   const char *what, char **err)
{
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 1;
	if (!json_object_is_type(v, json_type_int))
		return fail(err, "%s: %s must be a whole number", what, key);
	errno = 0;
	*out = json_object_get_int64(v);
	if (errno || *out < min || *out > max)
		return fail(err, "%s: %s must be in %lld..%lld", what, key, min, max);
	return 0;
}

static int get_key(json_object *o, const char *key, uint8_t k[WG_KEY_LEN], const char *what,
		   char **err)
{
	const char *s;
	int r = get_str(o, key, &s, what, err);
	if (r)
		return r;
	if (wg_key_from_base64(s, k) < 0)
		return fail(err, "%s: %s is not a base64 WireGuard key (44 characters, 32 bytes)", what, key);
	if (wg_key_is_zero(k))
		return fail(err, "%s: %s is the all-zero key", what, key);
	return 0;
}

void wg_payload_free(struct wg_payload *p)
{
	struct wg_device d = {.peers = p->peers, .n_peers = p->n_peers};
	wg_device_free(&d);
	p->peers = NULL;
	p->n_peers = 0;
}

static int parse_peer(json_object *po, size_t idx, const struct wg_payload *p, struct wg_peer *peer,
		      char **err)
{
	char what[48];
	json_object *ips;
	const char *s;
	long long ka = 0;
	int r;

	snprintf(what, sizeof what, "OverlayPayload.Peers[%zu]", idx);
	if (!json_object_is_type(po, json_type_object))
		return fail(err, "%s: not an object", what);
	if ((r = get_key(po, "PublicKey", peer->public_key, what, err)) != 0)
		return r < 0 ? r : fail(err, "%s: PublicKey is required", what);
	r = get_str(po, "Endpoint", &s, what, err);
	if (r < 0)
		return r;
	if (r == 0) {
		if (cc_parse_ipv4_port(s, 0, &peer->endpoint.addr.v4, &peer->endpoint.port) < 0)
			return fail(err, "%s: Endpoint must be IPv4 \"a.b.c.d:port\" with port 1..65535", what);
		peer->endpoint.family = AF_INET;
	}
	if ((r = get_int(po, "PersistentKeepalive", 0, 65535, &ka, what, err)) < 0)
		return r;
	peer->keepalive = (uint16_t)ka;
	if (!json_object_object_get_ex(po, "AllowedIPs", &ips) ||
	    !json_object_is_type(ips, json_type_array))
		return fail(err, "%s: AllowedIPs must be an array of \"a.b.c.d/n\"", what);
	if (json_object_array_length(ips) == 0 || json_object_array_length(ips) > WG_MAX_ALLOWED_IPS)
		return fail(err, "%s: AllowedIPs must hold 1..%d networks", what, WG_MAX_ALLOWED_IPS);
	for (size_t i = 0; i < json_object_array_length(ips); i++) {
		json_object *v = json_object_array_get_idx(ips, i);
		struct wg_allowed_ip a = {.family = AF_INET};
		if (!json_object_is_type(v, json_type_string) ||
		    cc_parse_cidr(json_object_get_string(v), &a.addr.v4, &a.cidr) < 0)
			return fail(err, "%s: AllowedIPs[%zu] is not \"a.b.c.d/n\"", what, i);
		if (a.addr.v4 & ~cc_ipv4_mask(a.cidr))
			return fail(err, "%s: AllowedIPs[%zu] has host bits set", what, i);
		/* A peer may only route overlay addresses: the controller must
		 * not be able to pull 0.0.0.0/0 or a LAN into the tunnel. */
		if (a.cidr < p->plen || !cc_ipv4_in_net(a.addr.v4, p->address, p->plen))
			return fail(err, "%s: AllowedIPs[%zu] lies outside the overlay network", what, i);
		if ((r = wg_peer_add_allowed(peer, &a)) < 0)
			return fail(err, "%s: too many allowed IPs", what);
	}
	return 0;
}

int wg_payload_parse(const char *json, struct wg_payload *p, char **err)
{
	const char *what = "OverlayPayload", *s;
	json_object *o, *peers;
	long long v;
	int r = -EINVAL;

	memset(p, 0, sizeof *p);
	*err = NULL;
	if (!(o = parse_object(json, what, err)))
		return -EINVAL;
	if ((r = get_str(o, "Interface", &s, what, err)) != 0 || !wg_valid_ifname(s)) {
		r = r < 0 ? r : fail(err, "%s: Interface must be an interface name of 1..15 of [A-Za-z0-9_.-]", what);
		goto out;
	}
	strcpy(p->ifname, s);
	if ((r = get_str(o, "Address", &s, what, err)) != 0 || cc_parse_cidr(s, &p->address, &p->plen) < 0) {
		r = r < 0 ? r : fail(err, "%s: Address must be \"a.b.c.d/n\"", what);
		goto out;
	}
	if (p->plen < WG_CGNAT_PREFIX || p->plen > 30 ||
	    !cc_ipv4_in_net(p->address, WG_CGNAT_NET, WG_CGNAT_PREFIX)) {
		r = fail(err, "%s: Address must lie in 100.64.0.0/10 with a prefix of 10..30", what);
		goto out;
	}
	{
		struct wg_pool pool = {p->address & cc_ipv4_mask(p->plen), p->plen};
		if (!wg_pool_usable(&pool, p->address)) {
			r = fail(err, "%s: Address is the network or broadcast address", what);
			goto out;
		}
	}
	if ((r = get_int(o, "ListenPort", 1, 65535, &v, what, err)) != 0) {
		r = r < 0 ? r : fail(err, "%s: ListenPort is required", what);
		goto out;
	}
	p->listen_port = (uint16_t)v;
	if ((r = get_int(o, "MTU", WG_MTU_MIN, WG_MTU_MAX, &v, what, err)) != 0) {
		r = r < 0 ? r : fail(err, "%s: MTU is required", what);
		goto out;
	}
	p->mtu = (uint32_t)v;
	if (!json_object_object_get_ex(o, "Peers", &peers) || !json_object_is_type(peers, json_type_array)) {
		r = fail(err, "%s: Peers must be an array", what);
		goto out;
	}
	if (json_object_array_length(peers) > WG_MAX_PEERS) {
		r = fail(err, "%s: more than %d peers", what, WG_MAX_PEERS);
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(peers); i++) {
		struct wg_device tmp = {.peers = p->peers, .n_peers = p->n_peers};
		struct wg_peer *peer = wg_device_add_peer(&tmp);
		if (!peer) {
			r = -ENOMEM;
			goto out;
		}
		p->peers = tmp.peers;
		p->n_peers = tmp.n_peers;
		if ((r = parse_peer(json_object_array_get_idx(peers, i), i, p, peer, err)) < 0)
			goto out;
		tmp.n_peers--; /* not itself */
		if (wg_device_find_peer(&tmp, peer->public_key)) {
			r = fail(err, "%s: Peers[%zu] repeats a public key", what, i);
			goto out;
		}
	}
	r = 0;
out:
	json_object_put(o);
	if (r < 0)
		wg_payload_free(p);
	return r;
}

char *wg_payload_format(const struct wg_payload *p)
{
	json_object *o = json_object_new_object(), *peers = json_object_new_array();
	char ip[16], b64[WG_KEY_B64_LEN + 1], tmp[40];
	char *s = NULL;

	if (!o || !peers)
		goto out;
	cc_format_ipv4(p->address, ip);
	snprintf(tmp, sizeof tmp, "%s/%u", ip, p->plen);
	json_object_object_add(o, "Interface", json_object_new_string(p->ifname));
	json_object_object_add(o, "Address", json_object_new_string(tmp));
	json_object_object_add(o, "ListenPort", json_object_new_int(p->listen_port));
	json_object_object_add(o, "MTU", json_object_new_int((int)p->mtu));
	for (size_t i = 0; i < p->n_peers; i++) {
		const struct wg_peer *pe = &p->peers[i];
		json_object *po = json_object_new_object(), *ips = json_object_new_array();
		if (!po || !ips) {
			json_object_put(po);
			json_object_put(ips);
			goto out;
		}
		wg_key_to_base64(pe->public_key, b64);
		json_object_object_add(po, "PublicKey", json_object_new_string(b64));
		if (pe->endpoint.family == AF_INET) {
			cc_format_ipv4(pe->endpoint.addr.v4, ip);
			snprintf(tmp, sizeof tmp, "%s:%u", ip, pe->endpoint.port);
			json_object_object_add(po, "Endpoint", json_object_new_string(tmp));
		}
		for (size_t j = 0; j < pe->n_allowed; j++) {
			cc_format_ipv4(pe->allowed[j].addr.v4, ip);
			snprintf(tmp, sizeof tmp, "%s/%u", ip, pe->allowed[j].cidr);
			json_object_array_add(ips, json_object_new_string(tmp));
		}
		json_object_object_add(po, "AllowedIPs", ips);
		json_object_object_add(po, "PersistentKeepalive", json_object_new_int(pe->keepalive));
		json_object_array_add(peers, po);
	}
	json_object_object_add(o, "Peers", peers);
	peers = NULL;
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(peers);
	json_object_put(o);
	return s;
}

int wg_record_parse(const char *json, struct wg_record *rec, char **err)
{
	const char *what = "record", *s;
	json_object *o, *m;
	int r;

	memset(rec, 0, sizeof *rec);
	*err = NULL;
	if (!(o = parse_object(json, what, err)))
		return -EINVAL;
	if ((r = get_str(o, "Address", &s, what, err)) < 0)
		goto out;
	if (r == 0 && cc_parse_ipv4(s, &rec->address) < 0) {
		r = fail(err, "%s: Address is not an IPv4 address", what);
		goto out;
	}
	if ((r = get_key(o, "PublicKey", rec->public_key, what, err)) < 0)
		goto out;
	rec->has_key = r == 0;
	if ((r = get_str(o, "Endpoint", &s, what, err)) < 0)
		goto out;
	if (r == 0 && cc_parse_ipv4_port(s, 0, &rec->endpoint_ip, &rec->listen_port) < 0) {
		r = fail(err, "%s: Endpoint is not \"a.b.c.d:port\"", what);
		goto out;
	}
	if (json_object_object_get_ex(o, "Master", &m) && m) {
		if (!json_object_is_type(m, json_type_boolean)) {
			r = fail(err, "%s: Master must be true or false", what);
			goto out;
		}
		rec->master = json_object_get_boolean(m);
	}
	r = 0;
out:
	json_object_put(o);
	return r < 0 ? r : 0;
}

char *wg_record_format(const struct wg_record *rec)
{
	json_object *o = json_object_new_object();
	char ip[16], b64[WG_KEY_B64_LEN + 1], tmp[40];
	char *s;

	if (!o)
		return NULL;
	if (rec->address) {
		cc_format_ipv4(rec->address, ip);
		json_object_object_add(o, "Address", json_object_new_string(ip));
	}
	if (rec->has_key) {
		wg_key_to_base64(rec->public_key, b64);
		json_object_object_add(o, "PublicKey", json_object_new_string(b64));
	}
	if (rec->endpoint_ip && rec->listen_port) {
		cc_format_ipv4(rec->endpoint_ip, ip);
		snprintf(tmp, sizeof tmp, "%s:%u", ip, rec->listen_port);
		json_object_object_add(o, "Endpoint", json_object_new_string(tmp));
	}
	if (rec->master)
		json_object_object_add(o, "Master", json_object_new_boolean(1));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

int wg_observed_parse(const char *json, struct wg_observed *ob, char **err)
{
	const char *what = "Observed.Overlay", *s;
	long long v;
	json_object *o;
	int r;

	memset(ob, 0, sizeof *ob);
	*err = NULL;
	if (!(o = parse_object(json ? json : "{}", what, err)))
		return -EINVAL;
	if ((r = get_key(o, "PublicKey", ob->public_key, what, err)) < 0)
		goto out;
	ob->has_key = r == 0;
	if ((r = get_int(o, "ListenPort", 1, 65535, &v, what, err)) < 0)
		goto out;
	if (r == 0)
		ob->listen_port = (uint16_t)v;
	if ((r = get_str(o, "Address", &s, what, err)) < 0)
		goto out;
	if (r == 0 && cc_parse_ipv4(s, &ob->address) < 0) {
		r = fail(err, "%s: Address is not an IPv4 address", what);
		goto out;
	}
	if ((r = get_str(o, "UnderlayIP", &s, what, err)) < 0)
		goto out;
	if (r == 0 && cc_parse_ipv4(s, &ob->underlay_ip) < 0) {
		r = fail(err, "%s: UnderlayIP is not an IPv4 address", what);
		goto out;
	}
	r = 0;
out:
	json_object_put(o);
	return r;
}
