/* Docker Engine API client over the unix socket.
 *
 * Facts relied on (shared/reference/provider-apis.md §1, Docker 20.10.24):
 * the daemon's status codes are coarse (503 means "already in a swarm",
 * "not a manager", "locked" and "join timed out" alike), so errors are
 * classified by the daemon's message text and the text is always quoted
 * back to the user.  Every reply is validated before it is believed. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-net.h"
#include "docker.h"
#include "http-unix.h"
#include "log.h"
#include "util.h"

#define DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"
/* What we speak: the API of Docker 20.10 (Debian 12). */
#define API_MAX_MINOR 41
/* Below 1.24 error bodies are text and swarm mode is missing or partial. */
#define API_MIN_MINOR 24

#define T_PING_MS 10000
#define T_QUERY_MS 30000
/* A join waits 20 s for an unreachable manager and ~10 s for a refused
 * secret before the daemon answers. */
#define T_JOIN_MS 90000
#define T_SWARM_MS 60000

#define MAX_ID 64
#define MAX_ADDR 64
#define MAX_TEXT 1024
#define MAX_ERRTEXT 4096
#define MAX_LIST 10000
#define MAX_JSON_DEPTH 64
/* What we quote of a daemon's message. */
#define MAX_QUOTE 600

#define TOKEN_PREFIX "SWMTKN-1-"
#define TOKEN_DIGEST_LEN 50
#define TOKEN_SECRET_LEN 25

struct docker {
	char *socket;
	char api[16];
};

static int fail(char **err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char **err, int r, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	if (err) {
		va_start(ap, fmt);
		if (vasprintf(&m, fmt, ap) < 0)
			m = NULL;
		va_end(ap);
		*err = m;
	}
	return r;
}

/* A daemon's text made safe to print: control bytes become spaces,
 * anything past `max` bytes is cut with "...". */
static char *clean_text(const char *s, size_t len, size_t max)
{
	struct cc_buf sb = CC_BUF_INIT;
	size_t i;

	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\0'))
		len--;
	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		char ch = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
		cc_buf_append(&sb, &ch, 1);
	}
	if (i < len)
		cc_buf_puts(&sb, "...");
	cc_buf_append(&sb, "", 0);
	return cc_buf_detach(&sb);
}

/* ---- validation of reply fields ---------------------------------- */

static bool chars_in(const char *s, const char *extra)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (extra && strchr(extra, c))))
			return false;
	}
	return true;
}

static bool no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

enum kind { K_ID, K_ADDR, K_TEXT, K_ERRTEXT };

/* Where in a reply a field sits, for messages ("Swarm.NodeID"). */
struct vctx {
	const char *what;
	char **err;
};

static int bad(struct vctx *v, const char *field, const char *why)
{
	return fail(v->err, -EBADMSG, "Docker's reply to %s is malformed: %s %s; is this a Docker daemon?",
		    v->what, field, why);
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *m = NULL;
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &m) ? m : NULL;
}

static bool is_null(struct json_object *m) { return m == NULL || json_object_is_type(m, json_type_null); }

/* A JSON string value checked for kind and size; *out borrowed from m.
 * Absent or null gives "" unless required. */
static int str_value(struct vctx *v, struct json_object *m, const char *field, enum kind k, bool required,
		     const char **out)
{
	const char *s;
	size_t len, max;

	*out = "";
	if (is_null(m))
		return required ? bad(v, field, "is missing") : 0;
	if (!json_object_is_type(m, json_type_string))
		return bad(v, field, "is not a string");
	s = json_object_get_string(m);
	len = (size_t)json_object_get_string_len(m);
	if (strlen(s) != len)
		return bad(v, field, "holds a NUL byte");
	max = k == K_ID ? MAX_ID : k == K_ADDR ? MAX_ADDR : k == K_TEXT ? MAX_TEXT : MAX_ERRTEXT;
	if (len > max)
		return bad(v, field, "is too long");
	if (required && len == 0)
		return bad(v, field, "is empty");
	switch (k) {
	case K_ID:
		if (!chars_in(s, NULL))
			return bad(v, field, "is not an identifier ([0-9A-Za-z])");
		break;
	case K_ADDR:
		if (!chars_in(s, ".:[]%_-"))
			return bad(v, field, "is not an address");
		break;
	case K_TEXT:
		if (!no_controls(s))
			return bad(v, field, "holds control characters");
		break;
	case K_ERRTEXT: /* cleaned, not refused: it is what explains a failure */
		break;
	}
	*out = s;
	return 0;
}

static int get_str(struct vctx *v, struct json_object *o, const char *key, const char *field, enum kind k,
		   bool required, const char **out)
{
	return str_value(v, member(o, key), field, k, required, out);
}

static int get_enum(struct vctx *v, struct json_object *o, const char *key, const char *field, bool required,
		    const char *const allowed[], const char **out)
{
	int r = get_str(v, o, key, field, K_TEXT, required, out);
	if (r < 0)
		return r;
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(*out, allowed[i]) == 0)
			return 0;
	if (!required && !**out)
		return 0;
	return bad(v, field, "has an unknown value");
}

static int get_bool(struct vctx *v, struct json_object *o, const char *key, const char *field, bool required,
		    bool *out)
{
	struct json_object *m = member(o, key);
	*out = false;
	if (is_null(m))
		return required ? bad(v, field, "is missing") : 0;
	if (!json_object_is_type(m, json_type_boolean))
		return bad(v, field, "is not a boolean");
	*out = json_object_get_boolean(m);
	return 0;
}

static int get_u64(struct vctx *v, struct json_object *o, const char *key, const char *field, bool required,
		   uint64_t max, uint64_t *out)
{
	struct json_object *m = member(o, key);
	uint64_t u;

	*out = 0;
	if (is_null(m))
		return required ? bad(v, field, "is missing") : 0;
	if (!json_object_is_type(m, json_type_int))
		return bad(v, field, "is not an integer");
	if (json_object_get_int64(m) < 0)
		return bad(v, field, "is negative");
	u = json_object_get_uint64(m);
	if (u > max)
		return bad(v, field, "is out of range");
	*out = u;
	return 0;
}

static int get_obj(struct vctx *v, struct json_object *o, const char *key, const char *field, bool required,
		   struct json_object **out)
{
	struct json_object *m = member(o, key);
	*out = NULL;
	if (is_null(m))
		return required ? bad(v, field, "is missing") : 0;
	if (!json_object_is_type(m, json_type_object))
		return bad(v, field, "is not an object");
	*out = m;
	return 0;
}

/* The whole body must be one JSON value (plus white space). */
static int parse_json(struct vctx *v, const char *body, size_t len, struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;

	*out = NULL;
	if (!body || len == 0)
		return fail(v->err, -EBADMSG, "Docker's reply to %s is empty where JSON was expected", v->what);
	if (len > HTTP_UNIX_MAX_BODY || len > INT_MAX)
		return fail(v->err, -EFBIG, "Docker's reply to %s is too large", v->what);
	tok = json_tokener_new_ex(MAX_JSON_DEPTH);
	if (!tok)
		return fail(v->err, -ENOMEM, "out of memory");
	o = json_tokener_parse_ex(tok, body, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (e != json_tokener_success) {
		json_object_put(o);
		return fail(v->err, -EBADMSG, "Docker's reply to %s is not valid JSON (%s)", v->what,
			    json_tokener_error_desc(e));
	}
	for (; end < len; end++)
		if (!strchr(" \t\r\n", body[end])) {
			json_object_put(o);
			return fail(v->err, -EBADMSG, "Docker's reply to %s has data after its JSON value",
				    v->what);
		}
	*out = o;
	return 0;
}

static int dup_into(char **dst, const char *s, char **err)
{
	*dst = strdup(s ? s : "");
	return *dst ? 0 : fail(err, -ENOMEM, "out of memory");
}

bool docker_join_token_valid(const char *t)
{
	const char *digest, *secret;

	if (!t || strncmp(t, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
		return false;
	digest = t + strlen(TOKEN_PREFIX);
	if (strnlen(digest, TOKEN_DIGEST_LEN + 1) < TOKEN_DIGEST_LEN || digest[TOKEN_DIGEST_LEN] != '-')
		return false;
	secret = digest + TOKEN_DIGEST_LEN + 1;
	if (strnlen(secret, TOKEN_SECRET_LEN + 1) != TOKEN_SECRET_LEN)
		return false;
	for (const char *p = digest; *p; p++)
		if (p != digest + TOKEN_DIGEST_LEN && !((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')))
			return false;
	return true;
}

/* ---- daemon errors ------------------------------------------------ */

/* The daemon's own words: {"message": "..."} (API >= 1.24) or a text
 * body (older versions, proxies). */
static char *daemon_text(long status, const char *body, size_t len)
{
	struct json_tokener *tok;
	struct json_object *o, *m;
	char *t = NULL;

	if (body && len && len < INT_MAX) {
		tok = json_tokener_new_ex(8);
		o = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
		if (tok && json_tokener_get_error(tok) == json_tokener_success && (m = member(o, "message")) &&
		    json_object_is_type(m, json_type_string))
			t = clean_text(json_object_get_string(m), (size_t)json_object_get_string_len(m), MAX_QUOTE);
		json_object_put(o);
		if (tok)
			json_tokener_free(tok);
		if (!t)
			t = clean_text(body, len, MAX_QUOTE);
	}
	if (t && !*t) {
		free(t);
		t = NULL;
	}
	if (!t && asprintf(&t, "HTTP %ld with an empty body", status) < 0)
		t = NULL;
	return t;
}

struct errmap {
	const char *needle; /* in the daemon's text, case-insensitive */
	int err;
	const char *advice;
};

/* Most specific first. */
static const struct errmap errmaps[] = {
	{"already part of a swarm", -EEXIST,
	 "this node is already part of a swarm; make it leave that swarm first (docker swarm leave --force) "
	 "and try again"},
	{"Timeout was reached before node joined", -ETIMEDOUT,
	 "the manager did not answer within 20 s (wrong address, or TCP 2377 blocked?); the node now stays "
	 "\"pending\" and Docker keeps trying in the background: check the manager's address and that it is "
	 "reachable, or leave the swarm (docker swarm leave) to give up and join again"},
	{"invalid join token", -EACCES,
	 "the join token is malformed; copy it again from a manager (docker swarm join-token worker|manager)"},
	{"valid join token is necessary", -EACCES,
	 "the manager refused the join token (wrong or rotated secret); get the current token from a manager "
	 "(docker swarm join-token worker|manager)"},
	{"fingerprint", -EACCES,
	 "the join token belongs to another swarm (its CA fingerprint does not match the manager's); get the "
	 "token from a manager of the swarm you are joining"},
	{"Worker nodes can't be used", -EPERM,
	 "this node is a swarm worker, not a manager; run this on a manager, or promote this node first "
	 "(docker node promote)"},
	{"not a swarm manager", -EPERM,
	 "this node is not a swarm manager (it is not in a swarm); init or join a swarm first"},
	{"not part of a swarm", -ENOTCONN, "this node is not part of a swarm"},
	{"needs to be unlocked", -ENOKEY,
	 "the swarm is locked on this node (autolock is on and dockerd restarted); unlock it with "
	 "'docker swarm unlock' and the unlock key, then try again"},
	{"certificates have expired", -EKEYEXPIRED,
	 "this node's swarm certificates have expired; make it leave the swarm and join again"},
	{"participating as a manager", -EBUSY,
	 "this node is a swarm manager and leaving could break the swarm's quorum (or erase it, if it is the "
	 "last manager); demote it first (docker node demote) or leave with force"},
	{"last manager", -EBUSY,
	 "this is the swarm's last manager; promote another node first"},
	{"update out of sequence", -EAGAIN, "the object changed while it was being updated; read it again and retry"},
	{"is too new", -EPROTONOSUPPORT, "the Docker daemon does not speak this API version; upgrade docker"},
	{"is too old", -EPROTONOSUPPORT, "the Docker daemon no longer speaks this API version"},
	{"could not choose an IP address", -EINVAL,
	 "Docker cannot choose an address to advertise; give the advertise address explicitly"},
	{"listen address must be", -EINVAL, "the listen address is not an IP address or interface (with optional port)"},
	{"advertise address must be", -EINVAL, "the advertise address is not an IP address or interface"},
	{"Datapath port", -EINVAL, "the data path port is out of range (1024-49151)"},
	{"is not down and can't be removed", -EBUSY, "the node is still up; make it leave the swarm first"},
	{"depends on it", -EBUSY, "a service uses it; remove that service first"},
};

int docker_reply_error(long status, const char *body, size_t len, const char *what, char **err)
{
	char *text = daemon_text(status, body, len);
	const char *advice = NULL;
	int r;

	for (size_t i = 0; text && i < ARRAY_SIZE(errmaps); i++)
		if (strcasestr(text, errmaps[i].needle)) {
			r = errmaps[i].err;
			advice = errmaps[i].advice;
			break;
		}
	if (!advice) {
		switch (status) {
		case 400: r = -EINVAL; advice = "Docker refused the request as invalid"; break;
		case 401:
		case 403: r = -EACCES; advice = "Docker refused the request"; break;
		case 404: r = -ENOENT; advice = "no such object"; break;
		case 409: r = -EEXIST; advice = "it conflicts with an existing object"; break;
		case 500: r = -EIO; advice = "the Docker daemon failed (see its log: journalctl -u docker)"; break;
		case 503: r = -EAGAIN; advice = "the Docker daemon cannot do this now"; break;
		default: r = -EPROTO; advice = "unexpected reply from the Docker daemon"; break;
		}
	}
	r = fail(err, r, "%s failed: %s (Docker said: \"%s\")", what, advice, text ? text : "?");
	free(text);
	return r;
}

/* ---- transport ---------------------------------------------------- */

/* http_unix_request's guess from access() is refined here: the socket
 * may be missing, unreadable, not a socket, or stale (no daemon). */
static int transport_error(const char *sock, int r, const char *what, int timeout_ms, char **err)
{
	struct stat st;

	switch (r) {
	case -ENOENT:
	case -ECONNREFUSED:
	case -EACCES:
		if (stat(sock, &st) < 0) {
			if (errno == EACCES)
				goto denied;
			return fail(err, -ENOENT,
				    "Docker daemon is not running (no socket at %s): start docker (systemctl start "
				    "docker), or set --docker-socket to its socket",
				    sock);
		}
		if (!S_ISSOCK(st.st_mode))
			return fail(err, -ENOTSOCK, "%s is not a unix socket: set --docker-socket to Docker's socket",
				    sock);
		if (faccessat(AT_FDCWD, sock, R_OK | W_OK, AT_EACCESS) < 0 && errno == EACCES)
			goto denied;
		if (r == -EACCES)
			goto denied;
		return fail(err, -ECONNREFUSED,
			    "Docker daemon is not running (%s refuses connections; a daemon that stopped left "
			    "it behind): start docker (systemctl start docker)",
			    sock);
	case -ETIMEDOUT:
		return fail(err, r,
			    "Docker daemon at %s did not answer %s within %d s: check that dockerd is healthy "
			    "(journalctl -u docker)",
			    sock, what, timeout_ms / 1000);
	case -ECONNRESET:
		return fail(err, r, "Docker daemon at %s closed the connection during %s: is it restarting?", sock,
			    what);
	case -EFBIG:
		return fail(err, r, "Docker daemon's reply to %s is larger than %u MiB: refused", what,
			    HTTP_UNIX_MAX_BODY >> 20);
	case -ENAMETOOLONG:
		return fail(err, r, "Docker socket path %s is longer than 107 bytes", sock);
	case -ECANCELED:
		return fail(err, r, "%s on the Docker daemon at %s was given up: this program is stopping", what,
			    sock);
	case -ENOMEM:
		return fail(err, r, "out of memory");
	default:
		return fail(err, r, "cannot talk to the Docker daemon at %s (%s): %s", sock, what, strerror(-r));
	}
denied:
	return fail(err, -EACCES,
		    "permission denied on %s: run clusterctl as root or as a member of the docker group", sock);
}

/* One API call.  `path` starts with '/' and goes after the version;
 * `body` (may be NULL) is sent as JSON.  0 with resp filled whatever the
 * status, or -errno with *err. */
static int call(struct docker *d, const char *method, const char *path, struct json_object *body, int timeout_ms,
		const char *what, struct clusterctl_http_response *resp, char **err)
{
	static const char *const json_hdr[] = {"Content-Type: application/json", NULL};
	const char *b = NULL;
	char *url = NULL;
	size_t blen = 0;
	int r;

	memset(resp, 0, sizeof *resp);
	if (asprintf(&url, "http://localhost/v%s%s", d->api, path) < 0)
		return fail(err, -ENOMEM, "out of memory");
	if (body) {
		b = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
		if (!b) {
			free(url);
			return fail(err, -ENOMEM, "out of memory");
		}
		blen = strlen(b);
	}
	log_debug("docker request method=%s path=%s api=%s", method, path, d->api);
	r = http_unix_request(d->socket, method, url, body ? json_hdr : NULL, b, blen, timeout_ms, resp);
	free(url);
	if (r < 0)
		return transport_error(d->socket, r, what, timeout_ms, err);
	return 0;
}

static bool ok_status(long s) { return s >= 200 && s <= 299; }

/* A GET whose non-2xx answer is an error: 0 with resp filled (the caller
 * frees it), or -errno with *err and nothing to free. */
static int query(struct docker *d, const char *path, const char *what, struct clusterctl_http_response *resp,
		 char **err)
{
	int r = call(d, "GET", path, NULL, T_QUERY_MS, what, resp, err);
	if (r < 0 || ok_status(resp->status))
		return r;
	r = docker_reply_error(resp->status, resp->body, resp->body_len, what, err);
	http_unix_response_free(resp);
	return r;
}

/* ---- open / version ----------------------------------------------- */

static int parse_version(const char *s, unsigned *maj, unsigned *min)
{
	char *end;
	unsigned long a, b;

	if (!s || !(*s >= '0' && *s <= '9') || strlen(s) > 12)
		return -EINVAL;
	a = strtoul(s, &end, 10);
	if (*end != '.' || !(end[1] >= '0' && end[1] <= '9'))
		return -EINVAL;
	b = strtoul(end + 1, &end, 10);
	if (*end || a > 999 || b > 999)
		return -EINVAL;
	*maj = (unsigned)a;
	*min = (unsigned)b;
	return 0;
}

int docker_api_negotiate(const char *server_api, char *out, size_t outsz, char **err)
{
	unsigned maj = 1, min = API_MIN_MINOR;

	/* Like Docker's own client: no header means an engine of API 1.24. */
	if (server_api && parse_version(server_api, &maj, &min) < 0) {
		char *t = clean_text(server_api, strlen(server_api), 40);
		int r = fail(err, -EPROTO, "the Docker daemon announced a malformed API version \"%s\"", t ? t : "");
		free(t);
		return r;
	}
	if (maj < 1 || (maj == 1 && min < API_MIN_MINOR))
		return fail(err, -EPROTONOSUPPORT,
			    "the Docker Engine is too old (API %u.%u; clusterctl needs API 1.%u or newer, Docker "
			    "1.12+ with swarm mode): upgrade docker",
			    maj, min, API_MIN_MINOR);
	if (maj > 1 || min > API_MAX_MINOR) {
		maj = 1;
		min = API_MAX_MINOR;
	}
	if ((size_t)snprintf(out, outsz, "%u.%u", maj, min) >= outsz)
		return fail(err, -ENOBUFS, "API version buffer too small");
	return 0;
}

int docker_open(const char *socket_path, struct docker **out, char **err)
{
	struct http_unix_header cap = {"Api-Version", NULL};
	struct clusterctl_http_response resp = {0};
	struct docker *d = NULL;
	char *body = NULL;
	int r;

	*out = NULL;
	if (!socket_path || !*socket_path)
		socket_path = DOCKER_DEFAULT_SOCKET;
	if (strlen(socket_path) >= 108)
		return fail(err, -ENAMETOOLONG, "Docker socket path %s is longer than 107 bytes", socket_path);
	d = calloc(1, sizeof *d);
	if (!d || !(d->socket = strdup(socket_path))) {
		r = fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* /_ping has no version prefix: it is how the version is learnt. */
	r = http_unix_request_hdr(d->socket, "GET", "http://localhost/_ping", NULL, NULL, 0, T_PING_MS, &resp, &cap,
				  1);
	if (r < 0) {
		r = transport_error(d->socket, r, "ping", T_PING_MS, err);
		goto out;
	}
	if (!ok_status(resp.status)) {
		r = docker_reply_error(resp.status, resp.body, resp.body_len, "Docker ping", err);
		goto out;
	}
	body = clean_text(resp.body ? resp.body : "", resp.body_len, 16);
	if (!body || strcmp(body, "OK") != 0) {
		r = fail(err, -EPROTO, "%s answered /_ping with \"%s\", not \"OK\": is it a Docker daemon?",
			 d->socket, body ? body : "");
		goto out;
	}
	r = docker_api_negotiate(cap.value, d->api, sizeof d->api, err);
	if (r < 0)
		goto out;
	log_debug("docker connected socket=%s engine_api=%s api=%s", d->socket, cap.value ? cap.value : "(none)",
		  d->api);
	*out = d;
	d = NULL;
out:
	free(body);
	free(cap.value);
	http_unix_response_free(&resp);
	docker_close(d);
	return r;
}

void docker_close(struct docker *d)
{
	if (!d)
		return;
	free(d->socket);
	free(d);
}

const char *docker_api_version(const struct docker *d) { return d ? d->api : NULL; }

/* ---- info --------------------------------------------------------- */

static const char *const local_states[] = {"inactive", "pending", "active", "error", "locked", NULL};

void docker_info_free(struct docker_info *i)
{
	if (!i)
		return;
	free(i->server_version);
	free(i->node_id);
	free(i->node_addr);
	free(i->local_state);
	free(i->error);
	free(i->cluster_id);
	for (size_t k = 0; k < i->n_remote_managers; k++)
		free(i->remote_managers[k]);
	free(i->remote_managers);
	free(i->os);
	free(i->name);
	memset(i, 0, sizeof *i);
}

int docker_parse_info(const char *body, size_t len, struct docker_info *out, char **err)
{
	struct vctx v = {"info", err};
	struct json_object *o = NULL, *sw, *cl, *rm;
	const char *sv, *nid, *naddr, *st, *e, *cid = "", *os, *name;
	uint64_t ncpu, mem;
	bool ctl;
	int r;

	memset(out, 0, sizeof *out);
	r = parse_json(&v, body, len, &o);
	if (r < 0)
		return r;
	if (!json_object_is_type(o, json_type_object)) {
		r = bad(&v, "the reply", "is not an object");
		goto out;
	}
	if ((r = get_str(&v, o, "ServerVersion", "ServerVersion", K_TEXT, true, &sv)) < 0 ||
	    (r = get_u64(&v, o, "NCPU", "NCPU", true, UINT32_MAX, &ncpu)) < 0 ||
	    (r = get_u64(&v, o, "MemTotal", "MemTotal", true, INT64_MAX, &mem)) < 0 ||
	    (r = get_str(&v, o, "OperatingSystem", "OperatingSystem", K_TEXT, false, &os)) < 0 ||
	    (r = get_str(&v, o, "Name", "Name", K_TEXT, false, &name)) < 0 ||
	    (r = get_obj(&v, o, "Swarm", "Swarm", true, &sw)) < 0 ||
	    (r = get_str(&v, sw, "NodeID", "Swarm.NodeID", K_ID, false, &nid)) < 0 ||
	    (r = get_str(&v, sw, "NodeAddr", "Swarm.NodeAddr", K_ADDR, false, &naddr)) < 0 ||
	    (r = get_enum(&v, sw, "LocalNodeState", "Swarm.LocalNodeState", false, local_states, &st)) < 0 ||
	    (r = get_bool(&v, sw, "ControlAvailable", "Swarm.ControlAvailable", false, &ctl)) < 0 ||
	    (r = get_str(&v, sw, "Error", "Swarm.Error", K_ERRTEXT, false, &e)) < 0 ||
	    (r = get_obj(&v, sw, "Cluster", "Swarm.Cluster", false, &cl)) < 0)
		goto out;
	/* Empty on a manager while its swarm has no leader (too few managers
	 * reachable, Swarm.Error says so): after a reboot that is the normal
	 * state until the overlay is back, and master init must still run. */
	if (cl && (r = get_str(&v, cl, "ID", "Swarm.Cluster.ID", K_ID, false, &cid)) < 0)
		goto out;
	if (strcmp(st, "active") == 0 && !*nid) {
		r = bad(&v, "Swarm.NodeID", "is empty on an active node");
		goto out;
	}
	rm = member(sw, "RemoteManagers");
	if (!is_null(rm)) {
		size_t n;
		if (!json_object_is_type(rm, json_type_array)) {
			r = bad(&v, "Swarm.RemoteManagers", "is not an array");
			goto out;
		}
		n = json_object_array_length(rm);
		if (n > MAX_LIST) {
			r = bad(&v, "Swarm.RemoteManagers", "is too long");
			goto out;
		}
		if (n && !(out->remote_managers = calloc(n, sizeof *out->remote_managers))) {
			r = fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		for (size_t k = 0; k < n; k++) {
			struct json_object *m = json_object_array_get_idx(rm, k);
			const char *addr, *mid;
			if (!m || !json_object_is_type(m, json_type_object)) {
				r = bad(&v, "Swarm.RemoteManagers[]", "is not an object");
				goto out;
			}
			if ((r = get_str(&v, m, "Addr", "Swarm.RemoteManagers[].Addr", K_ADDR, true, &addr)) < 0 ||
			    (r = get_str(&v, m, "NodeID", "Swarm.RemoteManagers[].NodeID", K_ID, false, &mid)) < 0 ||
			    (r = dup_into(&out->remote_managers[k], addr, err)) < 0)
				goto out;
			out->n_remote_managers = k + 1;
		}
	}
	out->ncpu = (uint32_t)ncpu;
	out->mem_total = mem;
	out->control_available = ctl;
	if ((r = dup_into(&out->server_version, sv, err)) < 0 || (r = dup_into(&out->node_id, nid, err)) < 0 ||
	    (r = dup_into(&out->node_addr, naddr, err)) < 0 ||
	    (r = dup_into(&out->local_state, *st ? st : "inactive", err)) < 0 ||
	    (r = dup_into(&out->cluster_id, cid, err)) < 0 || (r = dup_into(&out->os, os, err)) < 0 ||
	    (r = dup_into(&out->name, name, err)) < 0)
		goto out;
	out->error = clean_text(e, strlen(e), MAX_ERRTEXT);
	if (!out->error)
		r = fail(err, -ENOMEM, "out of memory");
out:
	json_object_put(o);
	if (r < 0)
		docker_info_free(out);
	return r;
}

int docker_get_info(struct docker *d, struct docker_info *out, char **err)
{
	struct clusterctl_http_response resp;
	int r;

	memset(out, 0, sizeof *out);
	if ((r = query(d, "/info", "docker info", &resp, err)) < 0)
		return r;
	r = docker_parse_info(resp.body, resp.body_len, out, err);
	http_unix_response_free(&resp);
	return r;
}

/* ---- swarm -------------------------------------------------------- */

void docker_swarm_free(struct docker_swarm *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->worker_token);
	free(s->manager_token);
	memset(s, 0, sizeof *s);
}

int docker_parse_swarm(const char *body, size_t len, struct docker_swarm *out, char **err)
{
	struct vctx v = {"swarm inspect", err};
	struct json_object *o = NULL, *ver, *jt;
	const char *id, *wt, *mt;
	int r;

	memset(out, 0, sizeof *out);
	r = parse_json(&v, body, len, &o);
	if (r < 0)
		return r;
	if (!json_object_is_type(o, json_type_object)) {
		r = bad(&v, "the reply", "is not an object");
		goto out;
	}
	if ((r = get_str(&v, o, "ID", "ID", K_ID, true, &id)) < 0 ||
	    (r = get_obj(&v, o, "Version", "Version", true, &ver)) < 0 ||
	    (r = get_u64(&v, ver, "Index", "Version.Index", true, UINT64_MAX, &out->version)) < 0 ||
	    (r = get_obj(&v, o, "JoinTokens", "JoinTokens", true, &jt)) < 0 ||
	    (r = get_str(&v, jt, "Worker", "JoinTokens.Worker", K_TEXT, true, &wt)) < 0 ||
	    (r = get_str(&v, jt, "Manager", "JoinTokens.Manager", K_TEXT, true, &mt)) < 0)
		goto out;
	/* Never echo a token into a message: it is a secret. */
	if (!docker_join_token_valid(wt)) {
		r = bad(&v, "JoinTokens.Worker", "is not a SWMTKN-1 join token");
		goto out;
	}
	if (!docker_join_token_valid(mt)) {
		r = bad(&v, "JoinTokens.Manager", "is not a SWMTKN-1 join token");
		goto out;
	}
	if ((r = dup_into(&out->id, id, err)) < 0 || (r = dup_into(&out->worker_token, wt, err)) < 0 ||
	    (r = dup_into(&out->manager_token, mt, err)) < 0)
		goto out;
out:
	json_object_put(o);
	if (r < 0)
		docker_swarm_free(out);
	return r;
}

int docker_swarm_inspect(struct docker *d, struct docker_swarm *out, char **err)
{
	struct clusterctl_http_response resp;
	int r;

	memset(out, 0, sizeof *out);
	if ((r = query(d, "/swarm", "swarm inspect", &resp, err)) < 0)
		return r;
	r = docker_parse_swarm(resp.body, resp.body_len, out, err);
	http_unix_response_free(&resp);
	return r;
}

/* "a.b.c.d", or "a.b.c.d:port" (port 1..65535) when a port is allowed. */
static bool ipv4_port_ok(const char *s, bool port_allowed)
{
	uint32_t a;
	uint16_t p;
	if (!port_allowed)
		return cc_ipv4_valid(s);
	return cc_parse_ipv4_port(s, CC_PORT_OPTIONAL, &a, &p) == 0;
}

static int check_params(const struct docker_swarm_params *p, const char *what, char **err)
{
	if (!p)
		return fail(err, -EINVAL, "%s: no parameters", what);
	if (p->listen_addr && *p->listen_addr && !ipv4_port_ok(p->listen_addr, true))
		return fail(err, -EINVAL, "%s: listen address \"%.64s\" is not an IPv4 address with optional :port",
			    what, p->listen_addr);
	/* Docker picks an address by itself when none is given, and on a
	 * host with several it picked one nobody could reach: always send. */
	if (!p->advertise_addr || !ipv4_port_ok(p->advertise_addr, true))
		return fail(err, -EINVAL, "%s: advertise address \"%.64s\" is not an IPv4 address with optional :port",
			    what, p->advertise_addr ? p->advertise_addr : "");
	if (!p->data_path_addr || !ipv4_port_ok(p->data_path_addr, false))
		return fail(err, -EINVAL, "%s: data path address \"%.64s\" is not an IPv4 address", what,
			    p->data_path_addr ? p->data_path_addr : "");
	return 0;
}

/* The common fields of InitRequest and JoinRequest. */
static struct json_object *swarm_body(const struct docker_swarm_params *p)
{
	struct json_object *b = json_object_new_object();
	if (!b)
		return NULL;
	if (json_object_object_add(b, "ListenAddr",
				   json_object_new_string(p->listen_addr && *p->listen_addr ? p->listen_addr
											   : "0.0.0.0:2377")) ||
	    json_object_object_add(b, "AdvertiseAddr", json_object_new_string(p->advertise_addr)) ||
	    json_object_object_add(b, "DataPathAddr", json_object_new_string(p->data_path_addr))) {
		json_object_put(b);
		return NULL;
	}
	return b;
}

/* "already part of a swarm": say which one, from docker info. */
static void explain_membership(struct docker *d, int r, char **err)
{
	struct docker_info i;
	struct cc_buf sb = CC_BUF_INIT;

	if (r != -EEXIST || !err || !*err || docker_get_info(d, &i, NULL) < 0)
		return;
	cc_buf_puts(&sb, *err);
	cc_buf_printf(&sb, " [this node: state %s", i.local_state);
	if (*i.node_id)
		cc_buf_printf(&sb, ", node %s", i.node_id);
	if (*i.cluster_id)
		cc_buf_printf(&sb, ", cluster %s", i.cluster_id);
	cc_buf_puts(&sb, i.control_available ? ", manager" : "");
	for (size_t k = 0; k < i.n_remote_managers && k < 5; k++)
		cc_buf_printf(&sb, "%s%s", k ? " " : ", managers ", i.remote_managers[k]);
	if (strcmp(i.local_state, "pending") == 0)
		cc_buf_puts(&sb, "; it is still trying to join: leave to cancel");
	cc_buf_puts(&sb, "]");
	cc_buf_append(&sb, "", 0);
	if (!sb.oom) {
		free(*err);
		*err = cc_buf_detach(&sb);
	}
	cc_buf_free(&sb);
	docker_info_free(&i);
}

int docker_swarm_init(struct docker *d, const struct docker_swarm_params *p, char **node_id, char **err)
{
	struct clusterctl_http_response resp = {0};
	struct json_object *b = NULL, *o = NULL;
	struct vctx v = {"swarm init", err};
	const char *id;
	int r;

	if (node_id)
		*node_id = NULL;
	if ((r = check_params(p, "swarm init", err)) < 0)
		return r;
	if (p->ingress_mtu && (p->ingress_mtu < 68 || p->ingress_mtu > 65535))
		return fail(err, -EINVAL, "swarm init: ingress MTU %u is out of range (68-65535)", p->ingress_mtu);
	b = swarm_body(p);
	if (!b || json_object_object_add(b, "Spec", json_object_new_object())) {
		r = fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = call(d, "POST", "/swarm/init", b, T_SWARM_MS, "swarm init", &resp, err);
	if (r < 0)
		goto out;
	if (!ok_status(resp.status)) {
		r = docker_reply_error(resp.status, resp.body, resp.body_len, "swarm init", err);
		explain_membership(d, r, err);
		goto out;
	}
	/* The reply is the new node ID as a JSON string. */
	if ((r = parse_json(&v, resp.body, resp.body_len, &o)) < 0)
		goto out;
	if ((r = str_value(&v, o, "the node ID", K_ID, true, &id)) < 0 || (node_id && (r = dup_into(node_id, id, err)) < 0))
		goto out;
	log_info("swarm initialised advertise=%s data_path=%s", p->advertise_addr, p->data_path_addr);
	if (p->ingress_mtu) {
		char *e2 = NULL;
		r = docker_ingress_set_mtu(d, p->ingress_mtu, &e2);
		if (r < 0) {
			fail(err, r, "the swarm was initialised, but its ingress MTU was not set: %s", e2 ? e2 : "");
			free(e2);
			if (node_id) {
				free(*node_id);
				*node_id = NULL;
			}
		}
	}
out:
	json_object_put(b);
	json_object_put(o);
	http_unix_response_free(&resp);
	return r;
}

int docker_swarm_join(struct docker *d, const struct docker_swarm_params *p, const char *remote_addr,
		      const char *token, char **err)
{
	struct clusterctl_http_response resp = {0};
	struct json_object *b = NULL, *ra = NULL;
	int r;

	if ((r = check_params(p, "swarm join", err)) < 0)
		return r;
	if (!remote_addr || !ipv4_port_ok(remote_addr, true))
		return fail(err, -EINVAL, "swarm join: manager address \"%.64s\" is not an IPv4 address with optional :port",
			    remote_addr ? remote_addr : "");
	/* Checked here so a typo does not cost a round trip (or 10 s). */
	if (!docker_join_token_valid(token))
		return fail(err, -EINVAL,
			    "swarm join: the join token is malformed (want SWMTKN-1-<50 characters>-<25 characters>, "
			    "lower-case letters and digits); copy it again from a manager (docker swarm join-token)");
	b = swarm_body(p);
	ra = json_object_new_array();
	if (!b || !ra || json_object_array_add(ra, json_object_new_string(remote_addr))) {
		r = fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	json_object_object_add(b, "RemoteAddrs", ra);
	ra = NULL;
	if (json_object_object_add(b, "JoinToken", json_object_new_string(token))) {
		r = fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = call(d, "POST", "/swarm/join", b, T_JOIN_MS, "swarm join", &resp, err);
	if (r < 0)
		goto out;
	if (!ok_status(resp.status)) {
		r = docker_reply_error(resp.status, resp.body, resp.body_len, "swarm join", err);
		explain_membership(d, r, err);
		goto out;
	}
	log_info("swarm joined manager=%s advertise=%s", remote_addr, p->advertise_addr);
out:
	json_object_put(ra);
	json_object_put(b);
	http_unix_response_free(&resp);
	return r;
}

int docker_swarm_leave(struct docker *d, bool force, char **err)
{
	struct clusterctl_http_response resp;
	int r;

	r = call(d, "POST", force ? "/swarm/leave?force=true" : "/swarm/leave", NULL, T_SWARM_MS, "swarm leave",
		 &resp, err);
	if (r < 0)
		return r;
	if (!ok_status(resp.status))
		r = docker_reply_error(resp.status, resp.body, resp.body_len, "swarm leave", err);
	else
		log_info("swarm left force=%s", force ? "true" : "false");
	http_unix_response_free(&resp);
	return r;
}

/* ---- nodes -------------------------------------------------------- */

static const char *const roles[] = {"manager", "worker", NULL};
static const char *const availabilities[] = {"active", "pause", "drain", NULL};
static const char *const node_states[] = {"unknown", "down", "ready", "disconnected", NULL};
static const char *const reachabilities[] = {"unknown", "unreachable", "reachable", NULL};

static void node_free(struct docker_node *n)
{
	free(n->id);
	free(n->hostname);
	free(n->role);
	free(n->availability);
	free(n->state);
	free(n->addr);
	free(n->reachability);
	memset(n, 0, sizeof *n);
}

void docker_nodes_free(struct docker_node *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		node_free(&v[i]);
	free(v);
}

/* One Node object; *spec_out (borrowed) is its Spec, for updates. */
static int parse_node(struct vctx *v, struct json_object *o, struct docker_node *n, struct json_object **spec_out)
{
	struct json_object *ver, *spec, *desc, *status, *ms;
	const char *id, *role, *avail, *host = "", *state, *addr, *reach = "";
	int r;

	memset(n, 0, sizeof *n);
	if (!json_object_is_type(o, json_type_object))
		return bad(v, "a node", "is not an object");
	if ((r = get_str(v, o, "ID", "Node.ID", K_ID, true, &id)) < 0 ||
	    (r = get_obj(v, o, "Version", "Node.Version", true, &ver)) < 0 ||
	    (r = get_u64(v, ver, "Index", "Node.Version.Index", true, UINT64_MAX, &n->version)) < 0 ||
	    (r = get_obj(v, o, "Spec", "Node.Spec", true, &spec)) < 0 ||
	    (r = get_enum(v, spec, "Role", "Node.Spec.Role", true, roles, &role)) < 0 ||
	    (r = get_enum(v, spec, "Availability", "Node.Spec.Availability", true, availabilities, &avail)) < 0 ||
	    (r = get_obj(v, o, "Description", "Node.Description", false, &desc)) < 0 ||
	    (desc && (r = get_str(v, desc, "Hostname", "Node.Description.Hostname", K_TEXT, false, &host)) < 0) ||
	    (r = get_obj(v, o, "Status", "Node.Status", true, &status)) < 0 ||
	    (r = get_enum(v, status, "State", "Node.Status.State", true, node_states, &state)) < 0 ||
	    (r = get_str(v, status, "Addr", "Node.Status.Addr", K_ADDR, false, &addr)) < 0 ||
	    (r = get_obj(v, o, "ManagerStatus", "Node.ManagerStatus", false, &ms)) < 0)
		return r;
	if (ms && ((r = get_bool(v, ms, "Leader", "Node.ManagerStatus.Leader", false, &n->leader)) < 0 ||
		   (r = get_enum(v, ms, "Reachability", "Node.ManagerStatus.Reachability", true, reachabilities,
				 &reach)) < 0))
		return r;
	if (strlen(host) > 255)
		return bad(v, "Node.Description.Hostname", "is too long");
	if ((r = dup_into(&n->id, id, v->err)) < 0 || (r = dup_into(&n->hostname, host, v->err)) < 0 ||
	    (r = dup_into(&n->role, role, v->err)) < 0 || (r = dup_into(&n->availability, avail, v->err)) < 0 ||
	    (r = dup_into(&n->state, state, v->err)) < 0 || (r = dup_into(&n->addr, addr, v->err)) < 0 ||
	    (r = dup_into(&n->reachability, reach, v->err)) < 0) {
		node_free(n);
		return r;
	}
	if (spec_out)
		*spec_out = spec;
	return 0;
}

int docker_parse_nodes(const char *body, size_t len, struct docker_node **out, size_t *n, char **err)
{
	struct vctx v = {"node list", err};
	struct json_object *o = NULL;
	struct docker_node *vec = NULL;
	size_t cnt = 0, got = 0;
	int r;

	*out = NULL;
	*n = 0;
	r = parse_json(&v, body, len, &o);
	if (r < 0)
		return r;
	if (!json_object_is_type(o, json_type_array)) {
		r = bad(&v, "the reply", "is not an array");
		goto out;
	}
	cnt = json_object_array_length(o);
	if (cnt > MAX_LIST) {
		r = bad(&v, "the reply", "lists too many nodes");
		goto out;
	}
	if (cnt && !(vec = calloc(cnt, sizeof *vec))) {
		r = fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (got = 0; got < cnt; got++)
		if ((r = parse_node(&v, json_object_array_get_idx(o, got), &vec[got], NULL)) < 0)
			goto out;
	*out = vec;
	*n = cnt;
	vec = NULL;
out:
	docker_nodes_free(vec, got);
	json_object_put(o);
	return r;
}

int docker_node_list(struct docker *d, struct docker_node **out, size_t *n, char **err)
{
	struct clusterctl_http_response resp;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = query(d, "/nodes", "node list", &resp, err)) < 0)
		return r;
	r = docker_parse_nodes(resp.body, resp.body_len, out, n, err);
	http_unix_response_free(&resp);
	return r;
}

/* A node reference goes into a URL path: IDs, prefixes and host names. */
static bool node_ref_ok(const char *s) { return s && *s && strlen(s) <= 255 && chars_in(s, "._-"); }

int docker_node_set_role(struct docker *d, const char *node_id, const char *role, char **err)
{
	struct clusterctl_http_response resp = {0};
	struct json_object *o = NULL, *spec = NULL;
	struct docker_node n = {0};
	struct vctx v = {"node inspect", err};
	char *path = NULL, *e = NULL;
	int r = 0;

	if (!node_ref_ok(node_id))
		return fail(err, -EINVAL, "node update: \"%.64s\" is not a node ID or name", node_id ? node_id : "");
	if (!role || (strcmp(role, "manager") != 0 && strcmp(role, "worker") != 0))
		return fail(err, -EINVAL, "node update: role must be manager or worker");
	/* The version changes with every update: read, update, and on "out
	 * of sequence" read again. */
	for (int attempt = 0; attempt < 5; attempt++) {
		free(path);
		path = NULL;
		if (asprintf(&path, "/nodes/%s", node_id) < 0) {
			r = fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		if ((r = query(d, path, "node inspect", &resp, err)) < 0)
			goto out;
		if ((r = parse_json(&v, resp.body, resp.body_len, &o)) < 0 ||
		    (r = parse_node(&v, o, &n, &spec)) < 0)
			goto out;
		http_unix_response_free(&resp);
		if (strcmp(n.role, role) == 0)
			goto out;
		/* The whole NodeSpec goes back: fields left out are reset. */
		if (json_object_object_add(spec, "Role", json_object_new_string(role))) {
			r = fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		free(path);
		path = NULL;
		if (asprintf(&path, "/nodes/%s/update?version=%" PRIu64, n.id, n.version) < 0) {
			r = fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		r = call(d, "POST", path, spec, T_QUERY_MS, "node update", &resp, err);
		if (r < 0)
			goto out;
		if (ok_status(resp.status)) {
			log_info("node role set node=%s role=%s", n.id, role);
			goto out;
		}
		free(e);
		e = NULL;
		r = docker_reply_error(resp.status, resp.body, resp.body_len, "node update", &e);
		http_unix_response_free(&resp);
		json_object_put(o);
		o = NULL;
		node_free(&n);
		if (r != -EAGAIN)
			break;
	}
	if (err) {
		*err = e;
		e = NULL;
	}
out:
	free(e);
	free(path);
	node_free(&n);
	json_object_put(o);
	http_unix_response_free(&resp);
	return r;
}

/* ---- ingress network MTU ------------------------------------------ */

#define MTU_OPTION "com.docker.network.driver.mtu"
/* Not carried over: the new network gets its own VXLAN ID. */
#define VXLAN_OPTION "com.docker.network.driver.overlay.vxlanid_list"

/* The ingress network object from GET /networks (a new reference in *out),
 * its ID in id (validated). */
static int find_ingress(struct docker *d, struct json_object **out, const char **id, char **err)
{
	struct clusterctl_http_response resp;
	struct vctx v = {"network list", err};
	struct json_object *o = NULL;
	int r;

	*out = NULL;
	if ((r = query(d, "/networks", "network list", &resp, err)) < 0)
		return r;
	if ((r = parse_json(&v, resp.body, resp.body_len, &o)) < 0)
		goto out;
	if (!json_object_is_type(o, json_type_array)) {
		r = bad(&v, "the reply", "is not an array");
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(o); i++) {
		struct json_object *net = json_object_array_get_idx(o, i);
		bool ingress;
		if (!net || !json_object_is_type(net, json_type_object)) {
			r = bad(&v, "a network", "is not an object");
			goto out;
		}
		if ((r = get_bool(&v, net, "Ingress", "Network.Ingress", false, &ingress)) < 0)
			goto out;
		if (!ingress)
			continue;
		if ((r = get_str(&v, net, "Id", "Network.Id", K_ID, true, id)) < 0)
			goto out;
		*out = json_object_get(net);
		goto out;
	}
	r = fail(err, -ENOENT,
		 "this swarm has no ingress network (was it removed?); create one with docker network create "
		 "--driver overlay --ingress");
out:
	json_object_put(o);
	http_unix_response_free(&resp);
	return r;
}

static int options_mtu(struct vctx *v, struct json_object *net, uint32_t *mtu)
{
	struct json_object *opts;
	const char *s;
	long long m;
	int r;

	*mtu = 0;
	if ((r = get_obj(v, net, "Options", "Network.Options", false, &opts)) < 0 ||
	    (r = get_str(v, opts, MTU_OPTION, "Network.Options." MTU_OPTION, K_TEXT, false, &s)) < 0)
		return r;
	if (!*s)
		return 0;
	if (parse_ll(s, 0, 65535, &m) < 0)
		return bad(v, "Network.Options." MTU_OPTION, "is not an MTU");
	*mtu = (uint32_t)m;
	return 0;
}

int docker_ingress_get_mtu(struct docker *d, uint32_t *mtu, char **err)
{
	struct vctx v = {"network list", err};
	struct json_object *net = NULL;
	const char *id;
	int r;

	*mtu = 0;
	r = find_ingress(d, &net, &id, err);
	if (r == 0)
		r = options_mtu(&v, net, mtu);
	json_object_put(net);
	return r;
}

/* A string->string map (Options, Labels), validated and copied. */
static int copy_string_map(struct vctx *v, struct json_object *src, const char *field, const char *skip,
			   struct json_object **out)
{
	struct json_object *m = json_object_new_object();

	*out = NULL;
	if (!m)
		return fail(v->err, -ENOMEM, "out of memory");
	if (!is_null(src)) {
		if (!json_object_is_type(src, json_type_object)) {
			json_object_put(m);
			return bad(v, field, "is not an object");
		}
		json_object_object_foreach(src, key, val)
		{
			if (!json_object_is_type(val, json_type_string) || strlen(key) > MAX_TEXT ||
			    (size_t)json_object_get_string_len(val) > MAX_TEXT) {
				json_object_put(m);
				return bad(v, field, "holds a value that is not a short string");
			}
			if (skip && strcmp(key, skip) == 0)
				continue;
			json_object_object_add(m, key, json_object_get(val));
		}
	}
	*out = m;
	return 0;
}

int docker_ingress_set_mtu(struct docker *d, uint32_t mtu, char **err)
{
	struct clusterctl_http_response resp = {0};
	struct vctx v = {"network inspect", err};
	struct json_object *net = NULL, *b = NULL, *opts = NULL, *labels = NULL, *ipam, *ipam_new = NULL, *cfg;
	const char *id, *name, *driver = "default";
	char mtu_s[16], *path = NULL;
	uint32_t cur;
	int r;

	if (mtu < 68 || mtu > 65535)
		return fail(err, -EINVAL, "ingress MTU %u is out of range (68-65535)", mtu);
	if ((r = find_ingress(d, &net, &id, err)) < 0 || (r = options_mtu(&v, net, &cur)) < 0)
		goto out;
	if (cur == mtu)
		goto out;
	if ((r = get_str(&v, net, "Name", "Network.Name", K_TEXT, true, &name)) < 0 ||
	    (r = get_obj(&v, net, "IPAM", "Network.IPAM", false, &ipam)) < 0 ||
	    (ipam && (r = get_str(&v, ipam, "Driver", "Network.IPAM.Driver", K_TEXT, false, &driver)) < 0) ||
	    (r = copy_string_map(&v, member(net, "Options"), "Network.Options", VXLAN_OPTION, &opts)) < 0 ||
	    (r = copy_string_map(&v, member(net, "Labels"), "Network.Labels", NULL, &labels)) < 0)
		goto out;
	cfg = member(ipam, "Config");
	if (!is_null(cfg) && !json_object_is_type(cfg, json_type_array)) {
		r = bad(&v, "Network.IPAM.Config", "is not an array");
		goto out;
	}
	snprintf(mtu_s, sizeof mtu_s, "%u", mtu);
	b = json_object_new_object();
	ipam_new = json_object_new_object();
	if (!b || !ipam_new || json_object_object_add(opts, MTU_OPTION, json_object_new_string(mtu_s)) ||
	    json_object_object_add(ipam_new, "Driver", json_object_new_string(*driver ? driver : "default")) ||
	    (cfg && json_object_object_add(ipam_new, "Config", json_object_get(cfg))) ||
	    json_object_object_add(b, "Name", json_object_new_string(name)) ||
	    json_object_object_add(b, "Driver", json_object_new_string("overlay")) ||
	    json_object_object_add(b, "Ingress", json_object_new_boolean(1)) ||
	    json_object_object_add(b, "CheckDuplicate", json_object_new_boolean(1)) ||
	    json_object_object_add(b, "IPAM", ipam_new) || (ipam_new = NULL) ||
	    json_object_object_add(b, "Options", opts) || (opts = NULL) ||
	    json_object_object_add(b, "Labels", labels) || (labels = NULL)) {
		r = fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (asprintf(&path, "/networks/%s", id) < 0) {
		r = fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* Ingress cannot be edited in place: remove it and create it again. */
	r = call(d, "DELETE", path, NULL, T_QUERY_MS, "ingress network remove", &resp, err);
	if (r < 0)
		goto out;
	if (!ok_status(resp.status)) {
		r = docker_reply_error(resp.status, resp.body, resp.body_len,
				       "removing the ingress network to set its MTU", err);
		goto out;
	}
	http_unix_response_free(&resp);
	/* The swarm may still be tearing the old one down: a few tries. */
	for (int attempt = 0;; attempt++) {
		r = call(d, "POST", "/networks/create", b, T_QUERY_MS, "ingress network create", &resp, err);
		if (r < 0)
			goto out;
		if (ok_status(resp.status))
			break;
		if (attempt >= 20 || (resp.status != 403 && resp.status != 409)) {
			r = docker_reply_error(resp.status, resp.body, resp.body_len,
					       "re-creating the ingress network (it is now missing: create it with "
					       "docker network create --driver overlay --ingress)",
					       err);
			goto out;
		}
		http_unix_response_free(&resp);
		usleep(250 * 1000);
	}
	log_info("ingress network recreated mtu=%u", mtu);
out:
	free(path);
	json_object_put(net);
	json_object_put(b);
	json_object_put(opts);
	json_object_put(labels);
	json_object_put(ipam_new);
	http_unix_response_free(&resp);
	return r;
}

int docker_node_inspect(struct docker *d, const char *node_id, struct docker_node *out, char **err)
{
	struct clusterctl_http_response resp = {0};
	struct json_object *o = NULL;
	struct vctx v = {"node inspect", err};
	char *path = NULL;
	int r;

	memset(out, 0, sizeof *out);
	if (!node_ref_ok(node_id))
		return fail(err, -EINVAL, "node inspect: \"%.64s\" is not a node ID or name", node_id ? node_id : "");
	if (asprintf(&path, "/nodes/%s", node_id) < 0)
		return fail(err, -ENOMEM, "out of memory");
	if ((r = query(d, path, "node inspect", &resp, err)) == 0 && (r = parse_json(&v, resp.body, resp.body_len, &o)) == 0)
		r = parse_node(&v, o, out, NULL);
	json_object_put(o);
	http_unix_response_free(&resp);
	free(path);
	return r;
}

int docker_node_remove(struct docker *d, const char *node_id, bool force, char **err)
{
	struct clusterctl_http_response resp = {0};
	char *path = NULL;
	int r;

	if (!node_ref_ok(node_id))
		return fail(err, -EINVAL, "node rm: \"%.64s\" is not a node ID or name", node_id ? node_id : "");
	if (asprintf(&path, "/nodes/%s%s", node_id, force ? "?force=1" : "") < 0)
		return fail(err, -ENOMEM, "out of memory");
	r = call(d, "DELETE", path, NULL, T_QUERY_MS, "node rm", &resp, err);
	if (r == 0 && !ok_status(resp.status))
		r = docker_reply_error(resp.status, resp.body, resp.body_len, "node rm", err);
	else if (r == 0)
		log_info("swarm node removed node=%s%s", node_id, force ? " (forced)" : "");
	http_unix_response_free(&resp);
	free(path);
	return r;
}

void docker_node_free(struct docker_node *n) { node_free(n); }
