/* The cross-platform userspace API (wireguard-go, boringtun): key=value
 * lines over /var/run/wireguard/<if>.sock.  "get=1" answers the device,
 * then "errno=N"; "set=1" takes lines up to a blank line and answers
 * "errno=N".  Keys are hex there (base64 everywhere else).  wireguard-go
 * answers negative errno values, boringtun positive ones: any non-zero
 * value is a failure and its absolute value the errno. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-net.h"
#include "cc-time.h"
#include "wg.h"

#define UAPI_TIMEOUT_MS 5000
#define UAPI_MAX_REPLY (8u << 20)

int wg_uapi_format_set(const struct wg_device *set, struct cc_buf *out)
{
	char hex[WG_KEY_HEX_LEN + 1], ip[16];

	cc_buf_puts(out, "set=1\n");
	if (set->set_private_key) {
		wg_key_to_hex(set->private_key, hex);
		cc_buf_printf(out, "private_key=%s\n", hex);
		wg_key_wipe(hex, sizeof hex);
	}
	if (set->set_listen_port)
		cc_buf_printf(out, "listen_port=%u\n", set->listen_port);
	for (size_t i = 0; i < set->n_peers; i++) {
		const struct wg_peer *p = &set->peers[i];
		wg_key_to_hex(p->public_key, hex);
		cc_buf_printf(out, "public_key=%s\n", hex);
		if (p->flags & WG_PEER_REMOVE) {
			cc_buf_puts(out, "remove=true\n");
			continue;
		}
		if (p->flags & WG_PEER_SET_ENDPOINT) {
			if (p->endpoint.family != AF_INET)
				return -EAFNOSUPPORT;
			cc_format_ipv4(p->endpoint.addr.v4, ip);
			cc_buf_printf(out, "endpoint=%s:%u\n", ip, p->endpoint.port);
		}
		if (p->flags & WG_PEER_SET_KEEPALIVE)
			cc_buf_printf(out, "persistent_keepalive_interval=%u\n", p->keepalive);
		if (p->flags & WG_PEER_REPLACE_ALLOWED_IPS) {
			/* The whole set after replace: old wireguard-go (Debian 12's
			 * 0.0.20220316) has no "allowed_ip=-x" removal. */
			cc_buf_puts(out, "replace_allowed_ips=true\n");
			for (size_t j = 0; j < p->n_allowed; j++) {
				if (p->allowed[j].family != AF_INET)
					return -EAFNOSUPPORT;
				cc_format_ipv4(p->allowed[j].addr.v4, ip);
				cc_buf_printf(out, "allowed_ip=%s/%u\n", ip, p->allowed[j].cidr);
			}
		}
	}
	cc_buf_puts(out, "\n");
	return out->oom ? -ENOMEM : 0;
}

static int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_errno_value(const char *v, size_t n, int *out)
{
	uint64_t e;
	bool neg = n && v[0] == '-';
	if (parse_u64(v + neg, n - neg, 4095, &e) < 0)
		return -EINVAL;
	*out = (int)e;
	return 0;
}

/* endpoint=a.b.c.d:port or [v6]:port (IPv4 by common/'s rule). */
static int parse_uapi_endpoint(const char *v, size_t n, struct wg_endpoint *ep)
{
	char tmp[64], host[48];
	uint64_t port;
	const char *colon;
	size_t hl;

	if (n == 0 || n >= sizeof tmp)
		return -EINVAL;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (tmp[0] != '[') {
		if (cc_parse_ipv4_port(tmp, CC_PORT_ZERO_OK, &ep->addr.v4, &ep->port) < 0)
			return -EINVAL;
		ep->family = AF_INET;
		return 0;
	}
	colon = strrchr(tmp, ':');
	if (!colon || parse_u64(colon + 1, strlen(colon + 1), 65535, &port) < 0)
		return -EINVAL;
	hl = (size_t)(colon - tmp);
	if (hl < 3 || tmp[hl - 1] != ']' || hl - 2 >= sizeof host)
		return -EINVAL;
	memcpy(host, tmp + 1, hl - 2);
	host[hl - 2] = '\0';
	if (inet_pton(AF_INET6, host, ep->addr.v6) != 1)
		return -EINVAL;
	ep->family = AF_INET6;
	ep->port = (uint16_t)port;
	return 0;
}

static int parse_uapi_allowed(const char *v, size_t n, struct wg_allowed_ip *a)
{
	char tmp[64];
	const char *slash;
	uint64_t cidr;

	if (n == 0 || n >= sizeof tmp)
		return -EINVAL;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	memset(a, 0, sizeof *a);
	if (!strchr(tmp, ':')) {
		if (cc_parse_cidr(tmp, &a->addr.v4, &a->cidr) < 0)
			return -EINVAL;
		a->family = AF_INET;
		return 0;
	}
	if (!(slash = strchr(tmp, '/')) || parse_u64(slash + 1, strlen(slash + 1), 128, &cidr) < 0)
		return -EINVAL;
	tmp[slash - tmp] = '\0';
	if (inet_pton(AF_INET6, tmp, a->addr.v6) != 1)
		return -EINVAL;
	a->family = AF_INET6;
	a->cidr = (uint8_t)cidr;
	return 0;
}

int wg_uapi_parse_errno(const char *text, size_t len, const char **err)
{
	const char *end = text + len, *line = text;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		int e;
		if (!nl)
			break;
		if (nl - line > 6 && memcmp(line, "errno=", 6) == 0) {
			if (parse_errno_value(line + 6, (size_t)(nl - line - 6), &e) < 0) {
				*err = "unreadable errno line";
				return -EPROTO;
			}
			return -e;
		}
		line = nl + 1;
	}
	*err = "reply without an errno line";
	return -EPROTO;
}

int wg_uapi_parse_get(const char *text, size_t len, struct wg_device *dev, const char **err)
{
	const char *end = text + len, *line = text;
	struct wg_peer *peer = NULL;
	uint64_t v = 0;

	*err = NULL;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line)), *eq;
		size_t kl, vl;
		const char *val;
		int r = 0;

		if (!nl) {
			*err = "reply not terminated by a newline";
			return -EPROTO;
		}
		if (nl == line) {
			*err = "blank line before errno";
			return -EPROTO;
		}
		eq = memchr(line, '=', (size_t)(nl - line));
		if (!eq || eq == line) {
			*err = "line without key=value";
			return -EPROTO;
		}
		for (const char *c = line; c < nl; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) {
				*err = "control or non-ASCII byte in reply";
				return -EPROTO;
			}
		kl = (size_t)(eq - line);
		val = eq + 1;
		vl = (size_t)(nl - val);
#define KEY(s) (kl == sizeof(s) - 1 && memcmp(line, s, kl) == 0)
		if (KEY("errno")) {
			int e;
			if (parse_errno_value(val, vl, &e) < 0) {
				*err = "unreadable errno";
				return -EPROTO;
			}
			if (e) {
				*err = "the daemon reported an error";
				return -e;
			}
			if (nl + 1 != end && !(nl + 2 == end && nl[1] == '\n')) {
				*err = "bytes after errno";
				return -EPROTO;
			}
			return 0;
		} else if (KEY("public_key")) {
			if (!(peer = wg_device_add_peer(dev))) {
				*err = "too many peers";
				return -E2BIG;
			}
			r = wg_key_from_hex(val, vl, peer->public_key);
			if (r == 0 && wg_device_find_peer(dev, peer->public_key) != peer) {
				*err = "duplicate peer";
				return -EPROTO;
			}
		} else if (!peer && KEY("private_key")) {
			r = wg_key_from_hex(val, vl, dev->private_key);
			dev->has_private_key = r == 0 && !wg_key_is_zero(dev->private_key);
		} else if (!peer && KEY("listen_port")) {
			r = parse_u64(val, vl, 65535, &v);
			dev->listen_port = (uint16_t)v;
		} else if (!peer && KEY("fwmark")) {
			r = parse_u64(val, vl, UINT32_MAX, &v);
			dev->fwmark = (uint32_t)v;
		} else if (peer && KEY("endpoint")) {
			r = parse_uapi_endpoint(val, vl, &peer->endpoint);
		} else if (peer && KEY("persistent_keepalive_interval")) {
			r = parse_u64(val, vl, 65535, &v);
			peer->keepalive = (uint16_t)v;
		} else if (peer && KEY("allowed_ip")) {
			struct wg_allowed_ip a;
			r = parse_uapi_allowed(val, vl, &a);
			if (r == 0 && (r = wg_peer_add_allowed(peer, &a)) < 0) {
				*err = "too many allowed IPs";
				return r;
			}
		} else if (peer && KEY("last_handshake_time_sec")) {
			r = parse_u64(val, vl, INT64_MAX, &v);
			peer->last_handshake_sec = (int64_t)v;
		} else if (peer && KEY("last_handshake_time_nsec")) {
			r = parse_u64(val, vl, 999999999, &v);
			peer->last_handshake_nsec = (int64_t)v;
		} else if (peer && KEY("rx_bytes")) {
			r = parse_u64(val, vl, UINT64_MAX, &peer->rx_bytes);
		} else if (peer && KEY("tx_bytes")) {
			r = parse_u64(val, vl, UINT64_MAX, &peer->tx_bytes);
		}
		/* Anything else (preshared_key, protocol_version, keys of newer
		 * daemons) is well-formed text we do not need. */
#undef KEY
		if (r < 0) {
			*err = "malformed value";
			return -EPROTO;
		}
		line = nl + 1;
	}
	*err = "reply without errno";
	return -EPROTO;
}

void wg_uapi_sock_path(const char *ifname, char *out, size_t size)
{
	snprintf(out, size, "%s/%s.sock", WG_UAPI_DIR, ifname);
}

static int uapi_connect(const char *ifname)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (!wg_valid_ifname(ifname))
		return -EINVAL;
	wg_uapi_sock_path(ifname, sa.sun_path, sizeof sa.sun_path);
	if (stat(sa.sun_path, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int wg_uapi_present(const char *ifname)
{
	int fd = uapi_connect(ifname);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* One request, one reply ending in a blank line, under a deadline. */
static int uapi_exchange(const char *ifname, const char *req, size_t req_len, struct cc_buf *reply)
{
	int64_t deadline = cc_mono_ms() + UAPI_TIMEOUT_MS;
	size_t off = 0;
	int fd = uapi_connect(ifname), r = 0;

	if (fd < 0)
		return fd;
	while (off < req_len) {
		ssize_t n = send(fd, req + off, req_len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		off += (size_t)n;
	}
	for (;;) {
		char chunk[4096];
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int left = (int)(deadline - cc_mono_ms());
		ssize_t n;

		if (reply->len >= 2 && reply->buf[reply->len - 1] == '\n' &&
		    reply->buf[reply->len - 2] == '\n')
			break;
		if (left <= 0) {
			r = -ETIMEDOUT;
			goto out;
		}
		if (poll(&pfd, 1, left) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		n = recv(fd, chunk, sizeof chunk, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0) {
			r = -ECONNRESET;
			goto out;
		}
		if (reply->len + (size_t)n > UAPI_MAX_REPLY) {
			r = -EFBIG;
			goto out;
		}
		cc_buf_append(reply, chunk, (size_t)n);
		if (reply->oom) {
			r = -ENOMEM;
			goto out;
		}
	}
out:
	close(fd);
	return r;
}

static char *errmsg(const char *what, const char *ifname, int r, const char *detail)
{
	struct cc_buf b = CC_BUF_INIT;
	char path[128];
	wg_uapi_sock_path(ifname, path, sizeof path);
	cc_buf_printf(&b, "%s %s: %s%s%s", what, path, strerror(r < 0 ? -r : r), detail ? ": " : "",
		      detail ? detail : "");
	return cc_buf_detach(&b);
}

int wg_uapi_get(const char *ifname, struct wg_device *dev, char **err)
{
	struct cc_buf reply = CC_BUF_INIT;
	const char *detail = NULL;
	int r;

	*err = NULL;
	memset(dev, 0, sizeof *dev);
	r = uapi_exchange(ifname, "get=1\n\n", 7, &reply);
	if (r == 0) {
		r = wg_uapi_parse_get(reply.buf, reply.len, dev, &detail);
		if (r == 0) {
			snprintf(dev->ifname, sizeof dev->ifname, "%s", ifname);
			if (dev->has_private_key && wg_key_public(dev->private_key, dev->public_key) == 0)
				dev->has_public_key = true;
		}
	}
	if (reply.buf)
		wg_key_wipe(reply.buf, reply.len);
	cc_buf_free(&reply);
	if (r < 0) {
		wg_device_free(dev);
		*err = errmsg("UAPI get on", ifname, r, detail);
	}
	return r;
}

int wg_uapi_set(const char *ifname, const struct wg_device *set, char **err)
{
	struct cc_buf req = CC_BUF_INIT, reply = CC_BUF_INIT;
	const char *detail = NULL;
	int r;

	*err = NULL;
	r = wg_uapi_format_set(set, &req);
	if (r == 0)
		r = uapi_exchange(ifname, req.buf, req.len, &reply);
	if (r == 0)
		r = wg_uapi_parse_errno(reply.buf, reply.len, &detail);
	if (req.buf)
		wg_key_wipe(req.buf, req.len);
	cc_buf_free(&req);
	cc_buf_free(&reply);
	if (r < 0)
		*err = errmsg("UAPI set on", ifname, r, detail ? detail : "the daemon refused the change");
	return r;
}
