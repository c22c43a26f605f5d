/* fake-tailscaled: tailscaled's LocalAPI, as much of it as clusterctl's
 * tailscale plugin uses, served over HTTP/1.1 on a unix socket, so the
 * plugin can be tested where no Tailscale exists.
 *
 * What it copies from tailscaled (tailscale/tailscale HEAD, read in source;
 * see shared/reference/provider-apis.md §3):
 *  - Host must be "local-tailscaled.sock" or empty, and no Referer/Origin,
 *    else 403 "invalid localapi request" (ipn/localapi/localapi.go).
 *  - Errors are Go's http.Error: "text/plain; charset=utf-8", body
 *    "<message>\n", X-Content-Type-Options: nosniff; unknown routes get
 *    404 "404 page not found".  Tailscale-Version / Tailscale-Cap headers.
 *  - GET /localapi/v0/status[?peers=false]: ipnstate.Status with Go field
 *    names; HaveNodeKey omitted when false; TailscaleIPs null when logged
 *    out; Peer null without peers.
 *  - POST /localapi/v0/start {"AuthKey","UpdatePrefs"}: 204 at once; the
 *    login runs in the background (Starting), then Running, or, for a key
 *    the control server refuses, NeedsLogin with the Health entry "You are
 *    logged out. The last login error was: invalid key: unable to validate
 *    API key".  Non-POST: 400 "want POST"; bad JSON: 400 + decoder error.
 *  - POST /localapi/v0/login-interactive: 204.
 *  - GET/PATCH /localapi/v0/prefs: PATCH {"WantRunning":true,
 *    "WantRunningSet":true} brings a Stopped node up.
 *  - Writes without permission: 403 "access denied" (--deny-write).
 *
 * Usage: fake-tailscaled --socket PATH [--state running|needs-login|
 *   stopped|starting|needs-machine-auth|no-state] [--key-file FILE]
 *   [--ip 100.x.y.z] [--iface NAME [--addr-delay-ms N | --no-addr]]
 *   [--starting-polls N] [--no-tun] [--deny-write] [--hostname NAME]
 *   [--record FILE] [--stale]
 * The accepted auth key is read from --key-file so it never sits in this
 * process's argv either.  --iface: on reaching Running, add the IP (/32)
 * to that interface with ip(8) (run it inside a network namespace).
 * --stale: bind, listen, exit leaving the socket file (a dead daemon).
 * --record: every request is appended as REQ/HOST/BODY lines, so tests can
 * check where the key travelled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cc-time.h"

#define MAX_HEAD (64 * 1024)
#define MAX_BODY (1024 * 1024)
#define LOGIN_ERROR "You are logged out. The last login error was: invalid key: unable to validate API key"

extern char **environ;

enum st { NO_STATE, NEEDS_LOGIN, NEEDS_MACHINE_AUTH, STOPPED, STARTING, RUNNING };
static const char *st_names[] = {"NoState", "NeedsLogin", "NeedsMachineAuth", "Stopped", "Starting", "Running"};

static struct {
	const char *socket, *ip, *iface, *record, *hostname;
	char *good_key;
	enum st state;
	bool have_node_key, tun, deny_write, no_addr, addr_added;
	int starting_polls, starting_left, addr_delay_ms;
	bool login_will_fail;  /* the pending login ends in a rejection */
	char *login_error;
	char *auth_url;
	int64_t addr_due;      /* monotonic ms; 0: nothing scheduled */
	FILE *rec;
} S;

static volatile sig_atomic_t stop;
static void on_term(int sig) { stop = 1; }

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fake-tailscaled: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* One record line; bytes outside printable ASCII are escaped so a line
 * stays a line. */
static void rec(const char *tag, const char *s, size_t len)
{
	if (!S.rec)
		return;
	fprintf(S.rec, "%s ", tag);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, S.rec);
		else
			fprintf(S.rec, "\\x%02x", c);
	}
	fputc('\n', S.rec);
	fflush(S.rec);
}

static void rec_str(const char *tag, const char *s) { rec(tag, s, strlen(s)); }

static void set_running(void)
{
	S.state = RUNNING;
	S.have_node_key = true;
	free(S.login_error);
	S.login_error = NULL;
	free(S.auth_url);
	S.auth_url = NULL;
	if (S.iface && !S.no_addr && !S.addr_added && !S.addr_due)
		S.addr_due = cc_mono_ms() + (S.addr_delay_ms > 0 ? S.addr_delay_ms : 0);
	rec_str("STATE", "Running");
}

static void add_address(void)
{
	char cidr[32];
	const char *argv[] = {"ip", "-4", "addr", "add", cidr, "dev", S.iface, NULL};
	pid_t pid;
	int status = 0;

	S.addr_due = 0;
	snprintf(cidr, sizeof cidr, "%s/32", S.ip);
	if (posix_spawnp(&pid, "ip", NULL, NULL, (char *const *)argv, environ) != 0) {
		rec_str("ADDR", "spawn-failed");
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	S.addr_added = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	rec_str("ADDR", S.addr_added ? "added" : "failed");
}

/* The status poll is what moves a pending login along, like time does in
 * the real daemon; counting polls keeps tests free of sleeps. */
static void advance(void)
{
	if (S.state != STARTING)
		return;
	if (S.starting_left > 0) {
		S.starting_left--;
		return;
	}
	if (S.login_will_fail) {
		S.state = NEEDS_LOGIN;
		S.login_will_fail = false;
		free(S.login_error);
		S.login_error = strdup(LOGIN_ERROR);
		rec_str("STATE", "NeedsLogin (key rejected)");
	} else {
		set_running();
	}
}

static json_object *jstr(const char *s) { return json_object_new_string(s); }

static json_object *ips_array(void)
{
	json_object *a = json_object_new_array();
	json_object_array_add(a, jstr(S.ip));
	json_object_array_add(a, jstr("fd7a:115c:a1e0::1"));
	return a;
}

static json_object *peer_status(bool self, bool up)
{
	json_object *p = json_object_new_object();
	char dns[300];
	snprintf(dns, sizeof dns, "%s.tail1234.ts.net.", self ? S.hostname : "peer1");
	json_object_object_add(p, "ID", jstr(up ? (self ? "nFakeSelf1CNTRL" : "nFakePeer1CNTRL") : ""));
	json_object_object_add(p, "PublicKey", jstr(up ? "nodekey:5a8b3f" : "nodekey:0000000000000000000000000000000000000000000000000000000000000000"));
	json_object_object_add(p, "HostName", jstr(self ? S.hostname : "peer1"));
	json_object_object_add(p, "DNSName", jstr(up ? dns : ""));
	json_object_object_add(p, "OS", jstr("linux"));
	json_object_object_add(p, "UserID", json_object_new_int64(up ? 123456 : 0));
	json_object_object_add(p, "TailscaleIPs", up ? (self ? ips_array() : NULL) : NULL);
	if (!self && up) {
		json_object *a = json_object_new_array();
		json_object_array_add(a, jstr("100.64.1.2"));
		json_object_object_add(p, "TailscaleIPs", a);
	}
	json_object_object_add(p, "Addrs", NULL);
	json_object_object_add(p, "CurAddr", jstr(""));
	json_object_object_add(p, "Relay", jstr(up ? "fra" : ""));
	json_object_object_add(p, "RxBytes", json_object_new_int64(0));
	json_object_object_add(p, "TxBytes", json_object_new_int64(0));
	json_object_object_add(p, "Created", jstr("0001-01-01T00:00:00Z"));
	json_object_object_add(p, "LastWrite", jstr("0001-01-01T00:00:00Z"));
	json_object_object_add(p, "LastSeen", jstr("0001-01-01T00:00:00Z"));
	json_object_object_add(p, "LastHandshake", jstr("0001-01-01T00:00:00Z"));
	json_object_object_add(p, "Online", json_object_new_boolean(up));
	json_object_object_add(p, "ExitNode", json_object_new_boolean(0));
	json_object_object_add(p, "ExitNodeOption", json_object_new_boolean(0));
	json_object_object_add(p, "Active", json_object_new_boolean(0));
	json_object_object_add(p, "InNetworkMap", json_object_new_boolean(up));
	json_object_object_add(p, "InMagicSock", json_object_new_boolean(0));
	json_object_object_add(p, "InEngine", json_object_new_boolean(0));
	return p;
}

static char *status_json(bool peers)
{
	json_object *o = json_object_new_object(), *health = json_object_new_array();
	bool up = S.state == RUNNING;
	char *out;

	json_object_object_add(o, "Version", jstr("1.80.3-tfake"));
	json_object_object_add(o, "TUN", json_object_new_boolean(S.tun));
	json_object_object_add(o, "BackendState", jstr(st_names[S.state]));
	if (S.have_node_key)
		json_object_object_add(o, "HaveNodeKey", json_object_new_boolean(1));
	json_object_object_add(o, "AuthURL", jstr(S.auth_url ? S.auth_url : ""));
	json_object_object_add(o, "TailscaleIPs", up ? ips_array() : NULL);
	json_object_object_add(o, "Self", peer_status(true, up));
	if (S.login_error)
		json_object_array_add(health, jstr(S.login_error));
	if (S.state == NEEDS_MACHINE_AUTH)
		json_object_array_add(health, jstr("Tailscale is waiting for an admin to approve this machine."));
	json_object_object_add(o, "Health", health);
	json_object_object_add(o, "MagicDNSSuffix", jstr(up ? "tail1234.ts.net" : ""));
	if (up) {
		json_object *t = json_object_new_object();
		json_object_object_add(t, "Name", jstr("example.com"));
		json_object_object_add(t, "MagicDNSSuffix", jstr("tail1234.ts.net"));
		json_object_object_add(t, "MagicDNSEnabled", json_object_new_boolean(1));
		json_object_object_add(o, "CurrentTailnet", t);
	} else {
		json_object_object_add(o, "CurrentTailnet", NULL);
	}
	json_object_object_add(o, "CertDomains", NULL);
	if (peers && up) {
		json_object *m = json_object_new_object();
		json_object_object_add(m, "nodekey:7c1e0a", peer_status(false, true));
		json_object_object_add(o, "Peer", m);
	} else {
		json_object_object_add(o, "Peer", NULL);
	}
	json_object_object_add(o, "User", NULL);
	json_object_object_add(o, "ClientVersion", NULL);
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

static char *prefs_json(void)
{
	char *s = NULL;
	if (asprintf(&s, "{\"ControlURL\":\"https://controlplane.tailscale.com\",\"RouteAll\":false,"
			 "\"CorpDNS\":true,\"WantRunning\":%s,\"LoggedOut\":%s,\"Hostname\":\"%s\","
			 "\"NetfilterMode\":2}",
		     S.state == STOPPED ? "false" : "true", S.have_node_key ? "false" : "true", S.hostname) < 0)
		s = NULL;
	return s;
}

static void respond(int fd, int code, const char *ctype, const char *body)
{
	const char *reason = code == 200 ? "OK" : code == 204 ? "No Content" : code == 400 ? "Bad Request"
			   : code == 403 ? "Forbidden" : code == 404 ? "Not Found" : "Internal Server Error";
	size_t blen = body ? strlen(body) : 0;
	char head[512];
	int n;

	if (code == 204)
		n = snprintf(head, sizeof head,
			     "HTTP/1.1 204 No Content\r\nTailscale-Version: 1.80.3-tfake\r\nTailscale-Cap: 113\r\n"
			     "Connection: close\r\n\r\n");
	else
		n = snprintf(head, sizeof head,
			     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%sTailscale-Version: 1.80.3-tfake\r\n"
			     "Tailscale-Cap: 113\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			     code, reason, ctype,
			     strncmp(ctype, "text/plain", 10) == 0 ? "X-Content-Type-Options: nosniff\r\n" : "",
			     blen);
	if (write(fd, head, (size_t)n) != n)
		return;
	if (code != 204 && blen && write(fd, body, blen) < 0)
		return;
}

/* Go's http.Error. */
static void http_error(int fd, int code, const char *msg)
{
	char *b = NULL;
	if (asprintf(&b, "%s\n", msg) < 0)
		return;
	respond(fd, code, "text/plain; charset=utf-8", b);
	free(b);
}

static void handle_start(int fd, const char *body, size_t blen)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, body, (int)blen), *v, *prefs;
	const char *key = "";
	bool want_running = false;

	if (!o || json_tokener_get_error(tok) != json_tokener_success || !json_object_is_type(o, json_type_object)) {
		http_error(fd, 400, blen ? "invalid character in JSON input" : "EOF");
		json_object_put(o);
		json_tokener_free(tok);
		return;
	}
	json_tokener_free(tok);
	if (json_object_object_get_ex(o, "AuthKey", &v) && json_object_is_type(v, json_type_string))
		key = json_object_get_string(v);
	if (json_object_object_get_ex(o, "UpdatePrefs", &prefs) && json_object_is_type(prefs, json_type_object)) {
		if (json_object_object_get_ex(prefs, "WantRunning", &v))
			want_running = json_object_get_boolean(v);
		if (json_object_object_get_ex(prefs, "Hostname", &v) && json_object_is_type(v, json_type_string) &&
		    *json_object_get_string(v)) {
			static char host[256];
			snprintf(host, sizeof host, "%s", json_object_get_string(v));
			S.hostname = host;
		}
	}
	if (*key && want_running) {
		S.login_will_fail = !(S.good_key && strcmp(key, S.good_key) == 0);
		S.state = STARTING;
		S.starting_left = S.starting_polls;
		rec_str("LOGIN", S.login_will_fail ? "bad-key" : "good-key");
	} else if (!want_running) {
		S.state = STOPPED;
	}
	json_object_put(o);
	respond(fd, 204, NULL, NULL);
}

static void handle(int fd, const char *method, const char *target, const char *body, size_t blen)
{
	char path[256];
	const char *q = strchr(target, '?');
	size_t plen = q ? (size_t)(q - target) : strlen(target);
	bool peers = !(q && strstr(q, "peers=false"));
	char *out;

	if (plen >= sizeof path) {
		http_error(fd, 404, "404 page not found");
		return;
	}
	memcpy(path, target, plen);
	path[plen] = '\0';

	if (strcmp(path, "/localapi/v0/status") == 0) {
		advance();
		out = status_json(peers);
		respond(fd, 200, "application/json", out);
		free(out);
	} else if (strcmp(path, "/localapi/v0/start") == 0) {
		if (S.deny_write)
			http_error(fd, 403, "access denied");
		else if (strcmp(method, "POST") != 0)
			http_error(fd, 400, "want POST");
		else
			handle_start(fd, body, blen);
	} else if (strcmp(path, "/localapi/v0/login-interactive") == 0) {
		if (S.deny_write)
			http_error(fd, 403, "login access denied");
		else if (strcmp(method, "POST") != 0)
			http_error(fd, 400, "want POST");
		else {
			if (S.state == NEEDS_LOGIN && !S.auth_url)
				S.auth_url = strdup("https://login.tailscale.com/a/fake0123");
			respond(fd, 204, NULL, NULL);
		}
	} else if (strcmp(path, "/localapi/v0/prefs") == 0) {
		if (strcmp(method, "GET") == 0) {
			out = prefs_json();
			respond(fd, 200, "application/json", out);
			free(out);
		} else if (strcmp(method, "PATCH") == 0) {
			json_object *o, *w, *ws;
			if (S.deny_write) {
				http_error(fd, 403, "prefs write access denied");
				return;
			}
			o = json_tokener_parse(body ? body : "");
			if (!o || !json_object_is_type(o, json_type_object)) {
				http_error(fd, 400, "invalid JSON body");
				json_object_put(o);
				return;
			}
			if (json_object_object_get_ex(o, "WantRunningSet", &ws) && json_object_get_boolean(ws) &&
			    json_object_object_get_ex(o, "WantRunning", &w) && json_object_get_boolean(w) &&
			    S.state == STOPPED)
				set_running();
			json_object_put(o);
			out = prefs_json();
			respond(fd, 200, "application/json", out);
			free(out);
		} else {
			http_error(fd, 400, "unsupported method");
		}
	} else {
		http_error(fd, 404, "404 page not found");
	}
}

static const char *header(const char *head, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		const char *l = p + 2;
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1, *e;
			while (*v == ' ' || *v == '\t')
				v++;
			e = strstr(v, "\r\n");
			*len = e ? (size_t)(e - v) : strlen(v);
			return v;
		}
	}
	return NULL;
}

static void serve_conn(int fd)
{
	char *buf = malloc(MAX_HEAD + MAX_BODY + 1), *hend, *body;
	size_t got = 0, hlen, blen = 0, clen = 0;
	char method[16], target[1024];
	const char *v;
	size_t vl;
	struct pollfd p = {fd, POLLIN, 0};

	if (!buf)
		return;
	for (;;) {
		ssize_t n;
		if (poll(&p, 1, 2000) <= 0)
			goto out;
		n = read(fd, buf + got, MAX_HEAD - got);
		if (n <= 0)
			goto out;
		got += (size_t)n;
		buf[got] = '\0';
		if ((hend = strstr(buf, "\r\n\r\n")))
			break;
		if (got == MAX_HEAD) {
			http_error(fd, 431, "request header too large");
			goto out;
		}
	}
	hlen = (size_t)(hend - buf) + 4;
	hend[2] = '\0'; /* head ends with one "\r\n" for header() */
	if (sscanf(buf, "%15s %1023s HTTP/1.", method, target) != 2) {
		http_error(fd, 400, "malformed request line");
		goto out;
	}
	if ((v = header(buf, "Content-Length", &vl)))
		clen = strtoul(v, NULL, 10);
	if (clen > MAX_BODY) {
		http_error(fd, 413, "body too large");
		goto out;
	}
	body = buf + hlen;
	blen = got - hlen;
	while (blen < clen) {
		ssize_t n;
		if (poll(&p, 1, 2000) <= 0)
			goto out;
		n = read(fd, body + blen, clen - blen);
		if (n <= 0)
			goto out;
		blen += (size_t)n;
	}
	body[blen] = '\0';

	rec("REQ", method, strlen(method));
	rec("TARGET", target, strlen(target));
	v = header(buf, "Host", &vl);
	rec("HOST", v ? v : "", v ? vl : 0);
	rec("BODY", body, blen);

	/* tailscaled's ServeHTTP guard: Go puts the Host header in r.Host. */
	{
		size_t rl = 0, ol = 0;
		bool bad = header(buf, "Referer", &rl) || header(buf, "Origin", &ol);
		if (v && !(vl == 0 || (vl == 21 && strncmp(v, "local-tailscaled.sock", 21) == 0)))
			bad = true;
		if (bad) {
			http_error(fd, 403, "invalid localapi request");
			goto out;
		}
	}
	handle(fd, method, target, body, blen);
out:
	free(buf);
}

static char *read_key(const char *path)
{
	char buf[1024];
	size_t n;
	FILE *f = fopen(path, "r");
	if (!f)
		die("cannot read --key-file %s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return strdup(buf);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct sigaction sact = {.sa_handler = on_term};
	bool stale = false;
	int lfd;

	S.state = NEEDS_LOGIN;
	S.tun = true;
	S.ip = "100.101.102.103";
	S.hostname = "fakehost";
	S.starting_polls = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define TAKE() (val ? (i++, val) : (die("%s needs a value", a), ""))
		if (!strcmp(a, "--socket"))
			S.socket = TAKE();
		else if (!strcmp(a, "--state")) {
			const char *s = TAKE();
			if (!strcmp(s, "running"))
				S.state = RUNNING;
			else if (!strcmp(s, "needs-login"))
				S.state = NEEDS_LOGIN;
			else if (!strcmp(s, "stopped"))
				S.state = STOPPED;
			else if (!strcmp(s, "starting"))
				S.state = STARTING;
			else if (!strcmp(s, "needs-machine-auth"))
				S.state = NEEDS_MACHINE_AUTH;
			else if (!strcmp(s, "no-state"))
				S.state = NO_STATE;
			else
				die("unknown --state %s", s);
		} else if (!strcmp(a, "--key-file"))
			S.good_key = read_key(TAKE());
		else if (!strcmp(a, "--ip"))
			S.ip = TAKE();
		else if (!strcmp(a, "--iface"))
			S.iface = TAKE();
		else if (!strcmp(a, "--addr-delay-ms"))
			S.addr_delay_ms = atoi(TAKE());
		else if (!strcmp(a, "--no-addr"))
			S.no_addr = true;
		else if (!strcmp(a, "--starting-polls"))
			S.starting_polls = atoi(TAKE());
		else if (!strcmp(a, "--no-tun"))
			S.tun = false;
		else if (!strcmp(a, "--deny-write"))
			S.deny_write = true;
		else if (!strcmp(a, "--hostname"))
			S.hostname = TAKE();
		else if (!strcmp(a, "--record"))
			S.record = TAKE();
		else if (!strcmp(a, "--stale"))
			stale = true;
		else
			die("unknown argument %s", a);
	}
	if (!S.socket)
		die("--socket is required");
	if (strlen(S.socket) >= sizeof sa.sun_path)
		die("socket path too long");
	if (S.record && !(S.rec = fopen(S.record, "a")))
		die("cannot open --record %s: %s", S.record, strerror(errno));
	if (S.rec) {
		fputs("ARGV", S.rec);
		for (int i = 0; i < argc; i++)
			fprintf(S.rec, " %s", argv[i]);
		fputc('\n', S.rec);
		fflush(S.rec);
	}
	/* Initial states that have logged in before. */
	if (S.state == RUNNING || S.state == STOPPED || S.state == STARTING || S.state == NEEDS_MACHINE_AUTH)
		S.have_node_key = true;
	if (S.state == STARTING)
		S.starting_left = S.starting_polls;
	if (S.state == RUNNING) {
		S.state = STARTING; /* so set_running schedules the address */
		set_running();
	}

	strcpy(sa.sun_path, S.socket);
	unlink(S.socket);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 16) < 0)
		die("cannot listen on %s: %s", S.socket, strerror(errno));
	if (stale)
		return 0; /* the socket file stays; nobody answers */

	sigaction(SIGTERM, &sact, NULL);
	sigaction(SIGINT, &sact, NULL);
	signal(SIGPIPE, SIG_IGN);
	while (!stop) {
		struct pollfd p = {lfd, POLLIN, 0};
		int timeout = -1;
		if (S.addr_due) {
			int64_t left = S.addr_due - cc_mono_ms();
			if (left <= 0) {
				add_address();
				continue;
			}
			timeout = (int)left;
		}
		if (poll(&p, 1, timeout) <= 0)
			continue;
		{
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			serve_conn(c);
			close(c);
		}
	}
	unlink(S.socket);
	close(lfd);
	if (S.rec)
		fclose(S.rec);
	free(S.good_key);
	free(S.login_error);
	free(S.auth_url);
	return 0;
}
