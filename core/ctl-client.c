/* The controller's client; see ctl-client.h. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "cc-net.h"
#include "cc-time.h"
#include "ctl-client.h"
#include "join-token.h"
#include "protocol.h"
#include "util.h"
#include "tls.h"

/* What ctl_client_set_* chose, for the whole process. */
static struct {
	bool plaintext;
	char fallback_pin[TLS_PIN_HEXLEN + 1];
	SSL_CTX *ctx;
	/* The last session's ticket, for the next exchange with the same
	 * controller (an agent's heartbeats resume instead of a full
	 * handshake each time). */
	SSL_SESSION *session;
	char session_for[96];
} chan;

void ctl_client_set_plaintext(bool plaintext) { chan.plaintext = plaintext; }

void ctl_client_set_fallback_pin(const char *pin_hex)
{
	snprintf(chan.fallback_pin, sizeof chan.fallback_pin, "%s", pin_hex ? pin_hex : "");
}

/* ---- transport ---------------------------------------------------------- */

/* Wait for fd to be ready, or say how long we waited in vain. */
static int wait_fd(struct ctl_transport *t, short events)
{
	for (;;) {
		struct pollfd p = {.fd = t->fd, .events = events};
		int left = cc_remaining_ms(t->deadline), n;
		if (left == 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int ssl_wait(struct ctl_transport *t, int n);

int ctl_transport_connect(struct ctl_transport *t, const char *addr, int64_t deadline, char **err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	uint32_t ip;
	uint16_t port;
	int r, soerr = 0;
	socklen_t sl = sizeof soerr;

	t->fd = -1;
	t->ssl = NULL;
	t->addr = addr;
	t->deadline = deadline;
	if (cc_parse_ipv4_port(addr, 0, &ip, &port) < 0) {
		*err = cc_strdupf("the controller address \"%s\" is not an IPv4 address and port, like "
				  "192.0.2.10:7000",
				  addr ? addr : "");
		return -EINVAL;
	}
	sa.sin_addr.s_addr = htonl(ip);
	sa.sin_port = htons(port);
	t->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		r = -errno;
		*err = cc_strdupf("cannot open a socket for the controller at %s: %s", addr, strerror(-r));
		return r;
	}
	if (connect(t->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS)
		r = -errno;
	else if ((r = wait_fd(t, POLLOUT)) == 0 && getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		 soerr)
		r = -soerr;
	if (r < 0) {
		*err = cc_strdupf("cannot connect to the controller at %s: %s", addr,
				  r == -ETIMEDOUT ? "no answer before the deadline" : strerror(-r));
		ctl_transport_close(t);
	}
	return r;
}

int ctl_transport_write_all(struct ctl_transport *t, const void *buf, size_t len, char **err)
{
	const char *p = buf;
	int r = 0;

	while (len) {
		ssize_t n;
		if (t->ssl) {
			int m;
			ERR_clear_error();
			if ((m = SSL_write(t->ssl, p, len > INT32_MAX ? INT32_MAX : (int)len)) <= 0) {
				if ((r = ssl_wait(t, m)) < 0)
					break;
				continue;
			}
			p += m;
			len -= (size_t)m;
			continue;
		}
		n = send(t->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((r = wait_fd(t, POLLOUT)) < 0)
				break;
			continue;
		}
		if (n < 0) {
			r = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (r < 0)
		*err = cc_strdupf("cannot send the request to the controller at %s: %s", t->addr,
				  r == -ETIMEDOUT ? "it did not take it before the deadline" : strerror(-r));
	return r;
}

int ctl_transport_read_bounded(struct ctl_transport *t, size_t max, char **out, size_t *len, char **err)
{
	struct cc_buf in = CC_BUF_INIT;
	char buf[16384];
	int r = 0;

	*out = NULL;
	for (;;) {
		ssize_t n;
		if (t->ssl) {
			int m;
			ERR_clear_error();
			if ((m = SSL_read(t->ssl, buf, (int)sizeof buf)) <= 0) {
				int e = SSL_get_error(t->ssl, m);
				if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0))
					break; /* the controller's end of the answer */
				if ((r = ssl_wait(t, m)) < 0)
					break;
				continue;
			}
			n = m;
			goto got;
		}
		n = recv(t->fd, buf, sizeof buf, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((r = wait_fd(t, POLLIN)) < 0)
				break;
			continue;
		}
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
	got:
		if ((size_t)n > max - in.len) {
			r = -EMSGSIZE;
			break;
		}
		cc_buf_append(&in, buf, (size_t)n);
	}
	if (r == 0 && in.len == 0)
		r = -EPROTO;
	if (r == 0 && in.oom)
		r = -ENOMEM;
	switch (r) {
	case 0:
		*len = in.len;
		*out = cc_buf_detach(&in);
		return 0;
	case -EMSGSIZE:
		*err = cc_strdupf("the controller at %s sent an answer larger than %zu bytes", t->addr, max);
		break;
	case -ETIMEDOUT:
		*err = cc_strdupf("the controller at %s sent no complete answer before the deadline", t->addr);
		break;
	case -EPROTO:
		*err = cc_strdupf("the controller at %s closed the connection without an answer", t->addr);
		break;
	default:
		*err = cc_strdupf("cannot read the answer of the controller at %s: %s", t->addr, strerror(-r));
	}
	cc_buf_free(&in);
	return r;
}

void ctl_transport_close(struct ctl_transport *t)
{
	if (t->ssl) {
		SSL_free(t->ssl);
		t->ssl = NULL;
		ERR_clear_error();
	}
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static SSL_CTX *client_ctx(void)
{
	if (chan.ctx)
		return chan.ctx;
	/* OpenSSL writes with write(2), not send(..., MSG_NOSIGNAL): a
	 * controller that went away must be an error, not a dead process. */
	signal(SIGPIPE, SIG_IGN);
	chan.ctx = SSL_CTX_new(TLS_client_method());
	if (!chan.ctx)
		return NULL;
	/* The key is checked against the pin, not a CA chain. */
	SSL_CTX_set_verify(chan.ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(chan.ctx, TLS1_3_VERSION);
	SSL_CTX_set_session_cache_mode(chan.ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	/* An answer is one JSON object, complete or refused by the decoder;
	 * a controller closing without close_notify is not an error. */
	SSL_CTX_set_options(chan.ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	return chan.ctx;
}

/* Drive a non-blocking TLS call until it completes or the deadline. */
static int ssl_wait(struct ctl_transport *t, int n)
{
	switch (SSL_get_error(t->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(t, POLLIN);
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(t, POLLOUT);
	case SSL_ERROR_ZERO_RETURN:
		return -ECONNRESET;
	case SSL_ERROR_SYSCALL:
		return errno ? -errno : -ECONNRESET;
	default:
		return -EPROTO;
	}
}

int ctl_transport_connect_tls(struct ctl_transport *t, const char *addr, const char *pin_hex, int64_t deadline,
			      char **err)
{
	char got[TLS_PIN_HEXLEN + 1] = "";
	SSL_CTX *ctx;
	X509 *peer = NULL;
	int r, n;

	r = ctl_transport_connect(t, addr, deadline, err);
	if (r < 0 || !pin_hex)
		return r;
	if (!(ctx = client_ctx()) || !(t->ssl = SSL_new(ctx)) || SSL_set_fd(t->ssl, t->fd) != 1) {
		r = -ENOMEM;
		*err = cc_strdupf("cannot set up TLS for the controller at %s", addr);
		goto out;
	}
	if (chan.session && strcmp(chan.session_for, addr) == 0)
		SSL_set_session(t->ssl, chan.session);
	ERR_clear_error();
	while ((n = SSL_connect(t->ssl)) != 1)
		if ((r = ssl_wait(t, n)) < 0)
			break;
	if (r < 0) {
		*err = cc_strdupf("TLS handshake with the controller at %s failed: %s", addr,
				  r == -ETIMEDOUT ? "no answer before the deadline"
				  : r == -EPROTO  ? "it does not speak TLS 1.3 (a controller run with "
						    "--insecure-plaintext needs --insecure-plaintext here too)"
						  : strerror(-r));
		goto out;
	}
	peer = SSL_get_peer_certificate(t->ssl);
	if (!peer || tls_cert_pin(peer, got) < 0 || strcmp(got, pin_hex) != 0) {
		r = -EKEYREJECTED;
		*err = cc_strdupf("the controller at %s presented TLS key sha256:%s, but the join token pins "
				  "sha256:%s: this is not the cluster's controller (or it was re-initialised with a new "
				  "key; get the new token from 'clusterctl master init'). Nothing was sent to it",
				  addr, *got ? got : "(none)", pin_hex);
		goto out;
	}
	r = 0;
out:
	X509_free(peer);
	ERR_clear_error();
	if (r < 0)
		ctl_transport_close(t);
	return r;
}

int ctl_client_set_identity(const char *node_state_dir, char **err)
{
	char pin[TLS_PIN_HEXLEN + 1];
	SSL_CTX *ctx = client_ctx();

	int r;

	if (!ctx) {
		*err = cc_strdupf("cannot set up TLS: out of memory");
		return -ENOMEM;
	}
	if ((r = cc_mkdir_p(node_state_dir, 0700)) < 0) {
		*err = cc_strdupf("cannot create %s: %s", node_state_dir, strerror(-r));
		return r;
	}
	return tls_node_identity_load(node_state_dir, ctx, pin, err);
}

static void keep_session(struct ctl_transport *t)
{
	SSL_SESSION *s = t->ssl ? SSL_get1_session(t->ssl) : NULL;
	if (!s)
		return;
	if (!SSL_SESSION_is_resumable(s)) {
		SSL_SESSION_free(s);
		return;
	}
	SSL_SESSION_free(chan.session);
	chan.session = s;
	snprintf(chan.session_for, sizeof chan.session_for, "%s", t->addr);
}

/* The request as it goes on this connection: its JoinSecret (a token or
 * a bare secret) replaced by the bare secret (plaintext) or by the proof
 * bound to this TLS session.  *pin gets the token's pin (or the
 * fallback), "" when there is none. */
static int wire_request(const char *request, struct ctl_transport *t, char pin[TLS_PIN_HEXLEN + 1], char **out,
			char **err)
{
	json_object *o = json_tokener_parse(request), *js = NULL;
	struct join_token tok = {.secret = NULL};
	int r = 0;

	*out = NULL;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*err = cc_strdupf("internal error: the request for the controller at %s is not a JSON object",
				  t->addr);
		return -EINVAL;
	}
	if (json_object_object_get_ex(o, "JoinSecret", &js) && json_object_is_type(js, json_type_string)) {
		if ((r = join_token_parse(json_object_get_string(js), &tok, err)) < 0)
			goto out;
		if (!t) { /* first pass: only the pin */
			snprintf(pin, TLS_PIN_HEXLEN + 1, "%s", *tok.pin ? tok.pin : chan.fallback_pin);
			goto out;
		}
		if (t->ssl) {
			unsigned char ex[32];
			char proof[TLS_PROOF_LEN + 1];
			if (tls_exporter(t->ssl, ex) < 0 || tls_proof(tok.secret, ex, proof) < 0) {
				r = -EPROTO;
				*err = cc_strdupf("cannot derive the join-secret proof for the controller at %s",
						  t->addr);
				goto out;
			}
			js = json_object_new_string(proof);
		} else {
			js = json_object_new_string(tok.secret);
		}
		if (!js || json_object_object_add(o, "JoinSecret", js) < 0) {
			json_object_put(js);
			r = -ENOMEM;
			goto out;
		}
	} else if (!t) {
		snprintf(pin, TLS_PIN_HEXLEN + 1, "%s", chan.fallback_pin);
		goto out;
	}
	{
		const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		if (!text || !(*out = cc_strdupf("%s\n", text)))
			r = -ENOMEM;
	}
out:
	join_token_free(&tok);
	json_object_put(o);
	return r;
}

int ctl_exchange(const char *addr, const char *request, int timeout_ms, char **reply, size_t *len,
		 char **err)
{
	struct ctl_transport t = {.fd = -1, .addr = addr};
	char pin[TLS_PIN_HEXLEN + 1] = "", *wire = NULL;
	int r;

	*reply = NULL;
	if ((r = wire_request(request, NULL, pin, &wire, err)) < 0)
		return r;
	if (!chan.plaintext && !*pin) {
		*err = cc_strdupf("no pin for the controller at %s: give the join token that 'clusterctl master "
				  "init' printed (CCTL1-...) in --join-secret-file or CLUSTERCTL_JOIN_SECRET, or run "
				  "both sides with --insecure-plaintext",
				  addr);
		return -EKEYREJECTED;
	}
	r = ctl_transport_connect_tls(&t, addr, chan.plaintext ? NULL : pin, cc_mono_ms() + timeout_ms, err);
	if (r < 0)
		return r;
	if ((r = wire_request(request, &t, pin, &wire, err)) < 0)
		goto out;
	/* No half-close after the request: protocol.md ends a request with
	 * its object, and a TLS stream has no half-close to send. */
	r = ctl_transport_write_all(&t, wire, strlen(wire), err);
	if (r == 0)
		r = ctl_transport_read_bounded(&t, CTL_REPLY_MAX, reply, len, err);
	if (r == 0)
		keep_session(&t);
	if ((r == -EPROTO || r == -ECONNRESET) && chan.plaintext) {
		free(*err);
		*err = cc_strdupf("the controller at %s closed the connection without an answer (a controller "
				  "speaking TLS, the default, does that to a plain-TCP request: drop "
				  "--insecure-plaintext here, or start the controller with it too)",
				  addr);
	}
out:
	if (wire) {
		memset(wire, 0, strlen(wire));
		free(wire);
	}
	ctl_transport_close(&t);
	return r;
}

/* ---- typed decoding ------------------------------------------------------- */

enum ftype { F_STR, F_INT, F_BOOL, F_OBJ };

/* One field of an answer: its canonical key, JSON type, the most bytes
 * it may hold (a string's, or an object's JSON text), and where it goes. */
struct field {
	const char *key;
	enum ftype type;
	size_t max;
	size_t off;
};

struct decode {
	const char *addr;  /* for messages */
	char *err;
};

static int bad(struct decode *d, const char *where, const char *key, const char *what)
{
	d->err = cc_strdupf("the controller at %s sent a malformed answer: %s%s %s", d->addr, where, key, what);
	return -EPROTO;
}

/* protocol.md: keys match case-insensitively, the last of duplicates
 * wins, and null is the same as absent. */
static json_object *member(json_object *o, const char *key)
{
	json_object *found = NULL;
	json_object_object_foreach(o, k, v) if (strcasecmp(k, key) == 0) found = v;
	return found && !json_object_is_type(found, json_type_null) ? found : NULL;
}

static int decode_fields(struct decode *d, json_object *o, const char *where, const struct field *t, size_t n,
			 void *dst)
{
	for (size_t i = 0; i < n; i++) {
		json_object *v = member(o, t[i].key);
		char *base = (char *)dst + t[i].off;
		char msg[96];

		switch (t[i].type) {
		case F_STR: {
			size_t len;
			*(char **)base = NULL;
			if (!v)
				break;
			len = json_object_is_type(v, json_type_string) ? (size_t)json_object_get_string_len(v) : 0;
			if (!json_object_is_type(v, json_type_string) || len > t[i].max ||
			    strlen(json_object_get_string(v)) != len) {
				snprintf(msg, sizeof msg, "must be a string of at most %zu bytes without NUL", t[i].max);
				return bad(d, where, t[i].key, msg);
			}
			if (!(*(char **)base = strdup(json_object_get_string(v))))
				return -ENOMEM;
			break;
		}
		case F_INT:
			*(long long *)base = -1;
			if (!v)
				break;
			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
			    json_object_get_int64(v) == INT64_MAX)
				return bad(d, where, t[i].key, "must be a non-negative integer");
			*(long long *)base = (long long)json_object_get_int64(v);
			break;
		case F_BOOL:
			*(bool *)base = false;
			if (!v)
				break;
			if (!json_object_is_type(v, json_type_boolean))
				return bad(d, where, t[i].key, "must be true or false");
			*(bool *)base = json_object_get_boolean(v);
			break;
		case F_OBJ: {
			const char *text;
			*(char **)base = NULL;
			if (v && !json_object_is_type(v, json_type_object))
				return bad(d, where, t[i].key, "must be a JSON object");
			text = v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "{}";
			if (!text)
				return -ENOMEM;
			if (strlen(text) > t[i].max) {
				snprintf(msg, sizeof msg, "is larger than %zu bytes", t[i].max);
				return bad(d, where, t[i].key, msg);
			}
			if (!(*(char **)base = strdup(text)))
				return -ENOMEM;
			break;
		}
		}
	}
	return 0;
}

/* Exactly one JSON object filling text[0..len) (whitespace may trail). */
static int parse_object(struct decode *d, const char *text, size_t len, json_object **out)
{
	json_tokener *tok;
	json_object *o;
	size_t end;

	*out = NULL;
	if (len > CTL_REPLY_MAX)
		return bad(d, "", "the answer", "is too large");
	tok = json_tokener_new_ex(CTL_REPLY_DEPTH);
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		d->err = cc_strdupf("the controller at %s sent an answer that is not valid JSON (%s)", d->addr,
				    e == json_tokener_continue ? "it ends too early" : json_tokener_error_desc(e));
		json_object_put(o);
		json_tokener_free(tok);
		return -EPROTO;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; end < len; end++)
		if (!strchr(" \t\r\n", text[end]) || !text[end]) {
			json_object_put(o);
			return bad(d, "", "the answer", "has bytes after its JSON object");
		}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return bad(d, "", "the answer", "is not a JSON object");
	}
	*out = o;
	return 0;
}

static int decode_status_word(struct decode *d, json_object *o, int *status)
{
	static const char *const names[] = {"ready", "waiting", "error"};
	static const struct field f = {"Status", F_STR, 16, 0};
	char *s = NULL;
	int r = decode_fields(d, o, "", &f, 1, &s);

	if (r < 0)
		return r;
	if (!s)
		return bad(d, "", "Status", "is missing");
	for (int i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*status = i;
			free(s);
			return 0;
		}
	free(s);
	return bad(d, "", "Status", "is not \"ready\", \"waiting\" or \"error\"");
}

/* ---- registration --------------------------------------------------------- */

/* Observed JSON text from a plugin; anything but an object is dropped
 * rather than sent. */
static int add_observed(json_object *obs, const char *key, const char *text)
{
	json_object *o;
	if (!text)
		return 0;
	o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return 0;
	}
	return json_object_object_add(obs, key, o);
}

static int add(json_object *o, const char *key, json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* The object as one line and "\n", and the object released. */
static char *render_line(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char *res = s ? cc_strdupf("%s\n", s) : NULL;
	json_object_put(o);
	return res;
}

char *ctl_build_registration(const struct node_report *r)
{
	json_object *req = json_object_new_object(), *obs = json_object_new_object();
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	int e = 0;

	if (!req || !obs) {
		json_object_put(req);
		json_object_put(obs);
		return NULL;
	}
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	e |= add(req, "ProtocolVersion", json_object_new_int(PROTOCOL_VERSION));
	e |= add(req, "Hostname", json_object_new_string(r->id->hostname));
	e |= add(req, "Role", json_object_new_string(r->role));
	e |= add(req, "IP", json_object_new_string(r->id->ip));
	if (r->id->os)
		e |= add(req, "OS", json_object_new_string(r->id->os));
	if (r->id->cpu >= 0)
		e |= add(req, "CPU", json_object_new_int64(r->id->cpu));
	if (r->id->memory >= 0)
		e |= add(req, "Memory", json_object_new_int64(r->id->memory));
	if (r->docker_version)
		e |= add(req, "DockerVersion", json_object_new_string(r->docker_version));
	e |= add(req, "GlusterCapable", json_object_new_boolean(r->gluster_capable));
	e |= add(req, "Timestamp", json_object_new_string(ts));
	e |= add(req, "NodeID", json_object_new_string(r->id->node_id));
	if (r->join_secret)
		e |= add(req, "JoinSecret", json_object_new_string(r->join_secret));
	e |= add(req, "ClusterctlVersion", json_object_new_string(clusterctl_version()));
	if (r->overlay_type)
		e |= add(req, "OverlayType", json_object_new_string(r->overlay_type));
	if (r->storage_type)
		e |= add(req, "StorageType", json_object_new_string(r->storage_type));
	if (r->health_overlay || r->health_storage) {
		json_object *h = json_object_new_object();
		e |= !h;
		if (h) {
			e |= add_observed(h, "Overlay", r->health_overlay);
			e |= add_observed(h, "Storage", r->health_storage);
			e |= add(req, "Health", h);
		}
	}
	e |= add_observed(obs, "Overlay", r->observed_overlay);
	e |= add_observed(obs, "Storage", r->observed_storage);
	e |= add_observed(obs, "Swarm", r->observed_swarm);
	e |= add(req, "Observed", obs);
	if (e) {
		json_object_put(req);
		return NULL;
	}
	return render_line(req);
}

/* SWMTKN-1-<50 base36>-<25 base36> (provider-apis.md §1.7); v2 tokens
 * have one more part. */
static bool token_ok(const char *t)
{
	size_t n = strlen(t);
	if (n < 9 || n > 200 || strncmp(t, "SWMTKN-", 7) != 0)
		return false;
	for (size_t i = 7; i < n; i++)
		if (!(islower((unsigned char)t[i]) || isdigit((unsigned char)t[i]) || t[i] == '-'))
			return false;
	return true;
}

#define A(m) offsetof(struct controller_answer, m)
static const struct field answer_fields[] = {
	{"Error", F_STR, 4096, A(error)},
	{"Message", F_STR, 4096, A(message)},
	{"SwarmRole", F_STR, 16, A(swarm_role)},
	{"SwarmJoinToken", F_STR, 256, A(join_token)},
	{"SwarmManagerAddr", F_STR, 64, A(manager_addr)},
	{"OverlayType", F_STR, 32, A(overlay_type)},
	{"OverlayPayload", F_OBJ, CTL_PAYLOAD_MAX, A(overlay_payload)},
	{"StoragePayload", F_OBJ, CTL_PAYLOAD_MAX, A(storage_payload)},
	{"GlusterEnabled", F_BOOL, 0, A(gluster_enabled)},
	{"GlusterVolume", F_STR, 256, A(gluster_volume)},
	{"GlusterMount", F_STR, 4096, A(gluster_mount)},
	{"GlusterBrick", F_STR, 4096, A(gluster_brick)},
	{"RegisteredManagers", F_INT, 0, A(registered_managers)},
	{"RegisteredWorkers", F_INT, 0, A(registered_workers)},
	{"MinManagers", F_INT, 0, A(min_managers)},
	{"MinWorkers", F_INT, 0, A(min_workers)},
};
#undef A

/* What a "ready" answer must carry before the node acts on it. */
static int check_ready(struct decode *d, const struct controller_answer *a)
{
	uint32_t ip;
	uint16_t port;

	if (!a->swarm_role || (strcmp(a->swarm_role, "manager") && strcmp(a->swarm_role, "worker")))
		return bad(d, "", "SwarmRole", "of a ready answer must be \"manager\" or \"worker\"");
	if (!a->join_token || !token_ok(a->join_token))
		return bad(d, "", "SwarmJoinToken", "of a ready answer must be a Swarm join token (SWMTKN-...)");
	if (cc_parse_ipv4_port(a->manager_addr, 0, &ip, &port) < 0)
		return bad(d, "", "SwarmManagerAddr", "of a ready answer must be ip:port");
	if (a->gluster_enabled && (!a->gluster_mount || a->gluster_mount[0] != '/'))
		return bad(d, "", "GlusterMount", "must be an absolute path when GlusterEnabled is true");
	return 0;
}

int ctl_decode_answer(const char *addr, const char *text, size_t len, struct controller_answer *a,
		      char **err)
{
	static const struct field retry = {"RetryAfter", F_INT, 0, 0};
	struct decode d = {.addr = addr};
	json_object *o = NULL;
	long long ra = -1;
	int r;

	memset(a, 0, sizeof *a);
	if ((r = parse_object(&d, text, len, &o)) < 0 || (r = decode_status_word(&d, o, &a->status)) < 0 ||
	    (r = decode_fields(&d, o, "", answer_fields, sizeof answer_fields / sizeof answer_fields[0], a)) < 0 ||
	    (r = decode_fields(&d, o, "", &retry, 1, &ra)) < 0)
		goto out;
	/* A controller asking for more than an hour is capped: the node
	 * would look hung. */
	a->retry_after = ra > 0 ? (ra > 3600 ? 3600 : (unsigned)ra) : 0;
	if (a->status == ANSWER_READY)
		r = check_ready(&d, a);
out:
	json_object_put(o);
	if (r < 0) {
		controller_answer_free(a);
		*err = d.err ? d.err : cc_strdupf("out of memory decoding the answer of the controller at %s", addr);
	}
	return r;
}

void controller_answer_free(struct controller_answer *a)
{
	free(a->swarm_role);
	free(a->join_token);
	free(a->manager_addr);
	free(a->overlay_type);
	free(a->overlay_payload);
	free(a->storage_payload);
	free(a->gluster_volume);
	free(a->gluster_mount);
	free(a->gluster_brick);
	free(a->error);
	free(a->message);
	memset(a, 0, sizeof *a);
}

/* ---- the status query ------------------------------------------------------- */

char *ctl_build_status_query(const char *join_secret)
{
	json_object *q = json_object_new_object();
	int e;

	if (!q)
		return NULL;
	e = add(q, "Query", json_object_new_string("status"));
	e |= add(q, "ProtocolVersion", json_object_new_int(PROTOCOL_VERSION));
	if (join_secret)
		e |= add(q, "JoinSecret", json_object_new_string(join_secret));
	if (e) {
		json_object_put(q);
		return NULL;
	}
	return render_line(q);
}

#define S(m) offsetof(struct ctl_status, m)
static const struct field status_fields[] = {
	{"Error", F_STR, 4096, S(error)},
	{"RegisteredManagers", F_INT, 0, S(registered_managers)},
	{"RegisteredWorkers", F_INT, 0, S(registered_workers)},
	{"MinManagers", F_INT, 0, S(min_managers)},
	{"MinWorkers", F_INT, 0, S(min_workers)},
	{"MaxManagers", F_INT, 0, S(max_managers)},
	{"WaitForMinimum", F_BOOL, 0, S(wait_for_minimum)},
	{"ClusterFormed", F_BOOL, 0, S(cluster_formed)},
	{"TokensAvailable", F_BOOL, 0, S(tokens_available)},
	{"Gating", F_STR, 16, S(gating)},
	{"OverlayType", F_STR, 32, S(overlay_type)},
	{"StorageType", F_STR, 32, S(storage_type)},
	{"SwarmManagerAddr", F_STR, 64, S(swarm_manager_addr)},
	/* The slot holder's key: "host:" and a host name, or a NodeID. */
	{"ManagerJoining", F_STR, PROTO_MAX_HOSTNAME + 8, S(manager_joining)},
	{"StaleNodes", F_INT, 0, S(stale_nodes)},
};
static const struct field quorum_fields[] = {
	{"Managers", F_INT, 0, S(quorum_managers)},
	{"ManagersFresh", F_INT, 0, S(quorum_fresh)},
	{"Needed", F_INT, 0, S(quorum_needed)},
	{"OK", F_BOOL, 0, S(quorum_ok)},
};
#undef S

#define N(m) offsetof(struct ctl_status_node, m)
static const struct field node_fields[] = {
	{"NodeID", F_STR, PROTO_MAX_NODE_ID, N(node_id)},
	{"Hostname", F_STR, PROTO_MAX_HOSTNAME, N(hostname)},
	{"IP", F_STR, CC_IPV4_STRLEN - 1, N(ip)},
	{"Role", F_STR, 16, N(role)},
	{"RequestedRole", F_STR, 16, N(requested_role)},
	{"Status", F_STR, 16, N(status)},
	{"OS", F_STR, PROTO_MAX_SHORT, N(os)},
	{"DockerVersion", F_STR, PROTO_MAX_SHORT, N(docker_version)},
	{"CPU", F_INT, 0, N(cpu)},
	{"Memory", F_INT, 0, N(memory)},
	{"GlusterCapable", F_BOOL, 0, N(gluster_capable)},
	{"FirstSeen", F_STR, 64, N(first_seen)},
	{"LastSeen", F_STR, 64, N(last_seen)},
	{"ClusterctlVersion", F_STR, PROTO_MAX_PROVIDER, N(clusterctl_version)},
	{"ProtocolVersion", F_INT, 0, N(protocol_version)},
	{"LastSeenAgeSeconds", F_INT, 0, N(last_seen_age)},
	{"Stale", F_BOOL, 0, N(stale)},
	{"Health", F_OBJ, 2 * PROTO_MAX_HEALTH + 64, N(health)},
};
static const struct field swarm_fields[] = {
	{"NodeID", F_STR, PROTO_MAX_SHORT, N(swarm_node_id)},
	{"LocalNodeState", F_STR, PROTO_MAX_SHORT, N(swarm_state)},
	{"ControlAvailable", F_BOOL, 0, N(swarm_control_available)},
};
#undef N

static int decode_node(struct decode *d, json_object *o, size_t i, struct ctl_status_node *n)
{
	char where[40];
	json_object *sw;
	int r;

	snprintf(where, sizeof where, "Nodes[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		return bad(d, where, "", "must be a JSON object");
	snprintf(where, sizeof where, "Nodes[%zu].", i);
	if ((r = decode_fields(d, o, where, node_fields, sizeof node_fields / sizeof node_fields[0], n)) < 0)
		return r;
	sw = member(o, "Swarm");
	if (!sw)
		return 0;
	snprintf(where, sizeof where, "Nodes[%zu].Swarm", i);
	if (!json_object_is_type(sw, json_type_object))
		return bad(d, where, "", "must be a JSON object");
	snprintf(where, sizeof where, "Nodes[%zu].Swarm.", i);
	n->has_swarm = true;
	return decode_fields(d, sw, where, swarm_fields, sizeof swarm_fields / sizeof swarm_fields[0], n);
}

int ctl_decode_status(const char *addr, const char *text, size_t len, struct ctl_status *s, char **err)
{
	struct decode d = {.addr = addr};
	json_object *nodes;
	int r;

	memset(s, 0, sizeof *s);
	if ((r = parse_object(&d, text, len, &s->json)) < 0 || (r = decode_status_word(&d, s->json, &s->status)) < 0 ||
	    (r = decode_fields(&d, s->json, "", status_fields, sizeof status_fields / sizeof status_fields[0], s)) < 0)
		goto out;
	if ((nodes = member(s->json, "Quorum"))) {
		if (!json_object_is_type(nodes, json_type_object)) {
			r = bad(&d, "", "Quorum", "must be a JSON object");
			goto out;
		}
		s->has_quorum = true;
		if ((r = decode_fields(&d, nodes, "Quorum.", quorum_fields, sizeof quorum_fields / sizeof quorum_fields[0],
				       s)) < 0)
			goto out;
	}
	nodes = member(s->json, "Nodes");
	if (!nodes)
		goto out;
	if (!json_object_is_type(nodes, json_type_array)) {
		r = bad(&d, "", "Nodes", "must be a JSON array");
		goto out;
	}
	s->n_nodes = json_object_array_length(nodes);
	if (s->n_nodes && !(s->nodes = calloc(s->n_nodes, sizeof *s->nodes))) {
		s->n_nodes = 0;
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->n_nodes && r == 0; i++)
		r = decode_node(&d, json_object_array_get_idx(nodes, i), i, &s->nodes[i]);
out:
	if (r < 0) {
		ctl_status_free(s);
		*err = d.err ? d.err : cc_strdupf("out of memory decoding the answer of the controller at %s", addr);
	}
	return r;
}

static void status_node_free(struct ctl_status_node *n)
{
	free(n->node_id);
	free(n->hostname);
	free(n->ip);
	free(n->role);
	free(n->requested_role);
	free(n->status);
	free(n->os);
	free(n->docker_version);
	free(n->first_seen);
	free(n->last_seen);
	free(n->swarm_node_id);
	free(n->swarm_state);
	free(n->clusterctl_version);
	free(n->health);
}

void ctl_status_free(struct ctl_status *s)
{
	for (size_t i = 0; i < s->n_nodes; i++)
		status_node_free(&s->nodes[i]);
	free(s->nodes);
	free(s->error);
	free(s->gating);
	free(s->overlay_type);
	free(s->storage_type);
	free(s->swarm_manager_addr);
	free(s->manager_joining);
	json_object_put(s->json);
	memset(s, 0, sizeof *s);
}
