/* The cross-platform UAPI: set/get text against a recorded reply, then
 * against a REAL wireguard-go started in a throwaway network + mount
 * namespace (root, /dev/net/tun and wireguard-go required). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "tap.h"
#include "wg.h"

extern char **environ;

static char *fixture(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[512], *text = NULL;
	snprintf(path, sizeof path, "%s/tests/fixtures/wireguard/%s", top ? top : "..", name);
	if (cc_read_file(path, 1 << 20, &text, len) < 0)
		return NULL;
	return text;
}

/* argv, no shell; stdout captured into out (may be NULL). */
static int run(const char *const argv[], char *out, size_t outsz)
{
	static const char *envp_extra[] = {"LOG_LEVEL=", NULL};
	posix_spawn_file_actions_t fa;
	char **env;
	size_t n = 0, m = 0;
	int pfd[2], status = 0;
	pid_t pid;
	ssize_t got = 0, k;

	while (environ[n])
		n++;
	env = calloc(n + 3, sizeof *env);
	for (size_t i = 0; envp_extra[i]; i++)
		env[m++] = (char *)envp_extra[i];
	for (size_t i = 0; i < n; i++)
		env[m++] = environ[i];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, env) != 0) {
		free(env);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(pfd[1]);
	while ((k = read(pfd[0], out ? out + got : (char[256]){0}, out ? outsz - 1 - (size_t)got : 256)) > 0)
		if (out)
			got += k;
	close(pfd[0]);
	if (out)
		out[got] = '\0';
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void offline(void)
{
	size_t len = 0;
	char *text = fixture("uapi-get-reply.txt", &len);
	struct wg_device dev = {0};
	const char *err = NULL;
	struct cc_buf b = CC_BUF_INIT;

	ok(text != NULL, "fixture uapi-get-reply.txt read");
	if (!text)
		return;
	is_int(wg_uapi_parse_get(text, len, &dev, &err), 0, "recorded get reply parses");
	if (err)
		diag("%s", err);
	ok(dev.has_private_key && dev.listen_port == 51820 && dev.n_peers == 2, "device: key, port 51820, 2 peers");
	if (dev.n_peers == 2) {
		struct wg_peer *p = &dev.peers[0], *q = &dev.peers[1];
		ok(p->endpoint.family == AF_INET && p->endpoint.addr.v4 == 0xc6336416u && p->endpoint.port == 51820,
		   "peer 1 endpoint 198.51.100.22:51820");
		ok(p->last_handshake_sec == 1764201600 && p->last_handshake_nsec == 123456789,
		   "peer 1 latest handshake");
		ok(p->rx_bytes == 92 && p->tx_bytes == 148 && p->keepalive == 25, "peer 1 counters and keepalive");
		ok(p->n_allowed == 1 && p->allowed[0].addr.v4 == 0x64600002u && p->allowed[0].cidr == 32,
		   "peer 1 allowed 100.96.0.2/32");
		ok(q->endpoint.family == AF_INET6 && q->endpoint.port == 51821 && q->last_handshake_sec == 0,
		   "peer 2: IPv6 endpoint, never a handshake");
		ok(q->n_allowed == 2 && q->allowed[1].family == AF_INET6 && q->allowed[1].cidr == 64,
		   "peer 2: two allowed IPs, one IPv6");
	} else {
		for (int i = 0; i < 6; i++)
			ok(0, "peers missing");
	}
	wg_device_free(&dev);
	free(text);

#define BAD(txt, want, name)                                                                       \
	do {                                                                                       \
		struct wg_device d_ = {0};                                                         \
		const char *t_ = (txt);                                                            \
		int r_ = wg_uapi_parse_get(t_, strlen(t_), &d_, &err);                             \
		is_int(r_, want, name);                                                            \
		wg_device_free(&d_);                                                               \
	} while (0)
	BAD("errno=-22\n\n", -22, "errno=-22 (wireguard-go) is a failure");
	BAD("errno=22\n\n", -22, "errno=22 (boringtun) is the same failure");
	BAD("listen_port=1\n", -EPROTO, "reply without errno");
	BAD("listen_port=70000\nerrno=0\n\n", -EPROTO, "listen_port out of range");
	BAD("listen_port\nerrno=0\n\n", -EPROTO, "line without '='");
	BAD("public_key=abcd\nerrno=0\n\n", -EPROTO, "short public key");
	BAD("listen_port=1\nerrno=0\n\nextra", -EPROTO, "bytes after errno");
	BAD("listen_port=1\x01\nerrno=0\n\n", -EPROTO, "control byte");
	BAD("public_key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	    "public_key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nerrno=0\n\n",
	    -EPROTO, "duplicate peer");
	BAD("public_key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	    "endpoint=300.1.1.1:5\nerrno=0\n\n",
	    -EPROTO, "bad endpoint");
	is_int(wg_uapi_parse_errno("errno=0\n\n", 9, &err), 0, "set reply errno=0");
	is_int(wg_uapi_parse_errno("errno=-98\n\n", 11, &err), -98, "set reply errno=-98 (port in use)");

	{
		struct wg_device set = {0};
		struct wg_peer *p;
		struct wg_allowed_ip a = {.family = AF_INET, .cidr = 32, .addr.v4 = 0x64600002u};
		set.set_listen_port = true;
		set.listen_port = 51820;
		p = wg_device_add_peer(&set);
		memset(p->public_key, 0x11, WG_KEY_LEN);
		p->flags = WG_PEER_SET_ENDPOINT | WG_PEER_SET_KEEPALIVE | WG_PEER_REPLACE_ALLOWED_IPS;
		p->endpoint = (struct wg_endpoint){.family = AF_INET, .port = 51820, .addr.v4 = 0xc633640cu};
		p->keepalive = 25;
		wg_peer_add_allowed(p, &a);
		p = wg_device_add_peer(&set);
		memset(p->public_key, 0x22, WG_KEY_LEN);
		p->flags = WG_PEER_REMOVE;
		ok(wg_uapi_format_set(&set, &b) == 0, "set request formatted");
		is_str(b.buf,
		       "set=1\nlisten_port=51820\n"
		       "public_key=1111111111111111111111111111111111111111111111111111111111111111\n"
		       "endpoint=198.51.100.12:51820\npersistent_keepalive_interval=25\n"
		       "replace_allowed_ips=true\nallowed_ip=100.96.0.2/32\n"
		       "public_key=2222222222222222222222222222222222222222222222222222222222222222\n"
		       "remove=true\n\n",
		       "set text: device keys, one peer added, one removed, blank line at the end");
		cc_buf_free(&b);
		wg_device_free(&set);
	}
}

static int wait_present(const char *ifname, bool want)
{
	for (int i = 0; i < 100; i++) {
		if (wg_uapi_present(ifname) == want)
			return 0;
		usleep(50000);
	}
	return -1;
}

static void live(void)
{
	const char *ifname = "wgt0";
	const char *const start[] = {"wireguard-go", ifname, NULL};
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN], k1[WG_KEY_LEN], k2[WG_KEY_LEN], tmp[WG_KEY_LEN];
	struct wg_device cur = {0}, want = {0}, set = {0};
	struct wg_peer *p;
	char *err = NULL, out[4096], b64[WG_KEY_B64_LEN + 1], sock[128];
	size_t changes = 99;

	ok(unshare(CLONE_NEWNET | CLONE_NEWNS) == 0 && mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == 0 &&
		   mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") == 0 && mkdir("/run/wireguard", 0700) == 0,
	   "throwaway network + mount namespace with its own /run");
	is_int(run(start, NULL, 0), 0, "wireguard-go %s started (it daemonises)", ifname);
	ok(wait_present(ifname, true) == 0, "UAPI socket answers");
	is_int(wg_uapi_get(ifname, &cur, &err), 0, "get on a fresh interface");
	if (err)
		diag("%s", err);
	free(err);
	err = NULL;
	/* wireguard-go binds its port only once the link is up, so a fresh
	 * device may report port 0: only key and peers are asserted. */
	ok(!cur.has_private_key && cur.n_peers == 0, "fresh: no key, no peers (port %u)", cur.listen_port);

	wg_key_generate(priv);
	wg_key_public(priv, pub);
	wg_key_generate(tmp);
	wg_key_public(tmp, k1);
	wg_key_generate(tmp);
	wg_key_public(tmp, k2);
	memcpy(want.ifname, ifname, 5);
	want.has_private_key = true;
	memcpy(want.private_key, priv, WG_KEY_LEN);
	want.listen_port = 51999;
	p = wg_device_add_peer(&want);
	memcpy(p->public_key, k1, WG_KEY_LEN);
	p->endpoint = (struct wg_endpoint){.family = AF_INET, .port = 51820, .addr.v4 = 0xc633640cu};
	p->keepalive = 25;
	wg_peer_add_allowed(p, &(struct wg_allowed_ip){.family = AF_INET, .cidr = 32, .addr.v4 = 0x64600002u});
	p = wg_device_add_peer(&want);
	memcpy(p->public_key, k2, WG_KEY_LEN);
	p->endpoint = (struct wg_endpoint){.family = AF_INET, .port = 51821, .addr.v4 = 0xc633640du};
	wg_peer_add_allowed(p, &(struct wg_allowed_ip){.family = AF_INET, .cidr = 32, .addr.v4 = 0x64600003u});

	ok(wg_device_diff(&cur, &want, true, &set, &changes) == 0 && changes == 4,
	   "diff from fresh: key, port, two peers (%zu changes)", changes);
	is_int(wg_uapi_set(ifname, &set, &err), 0, "set applied by wireguard-go");
	if (err)
		diag("%s", err);
	free(err);
	err = NULL;
	wg_device_free(&set);
	wg_device_free(&cur);
	is_int(wg_uapi_get(ifname, &cur, &err), 0, "get after set");
	free(err);
	err = NULL;
	ok(cur.has_public_key && memcmp(cur.public_key, pub, WG_KEY_LEN) == 0, "device public key is ours");
	ok(cur.listen_port == 51999, "listen port 51999");
	ok(cur.n_peers == 2 && wg_device_find_peer(&cur, k1) && wg_device_find_peer(&cur, k2), "both peers present");
	p = wg_device_find_peer(&cur, k1);
	ok(p && p->keepalive == 25 && p->endpoint.port == 51820 && p->endpoint.addr.v4 == 0xc633640cu &&
		   p->n_allowed == 1 && p->allowed[0].addr.v4 == 0x64600002u,
	   "peer 1 read back: endpoint, keepalive, allowed IP");
	ok(wg_device_diff(&cur, &want, true, &set, &changes) == 0 && changes == 0,
	   "diff against the configured device is empty (idempotent)");
	wg_device_free(&set);

	/* wg(8) reads the same socket: an independent check of what we set. */
	{
		const char *const show[] = {"wg", "show", ifname, "public-key", NULL};
		const char *const port[] = {"wg", "show", ifname, "listen-port", NULL};
		wg_key_to_base64(pub, b64);
		ok(run(show, out, sizeof out) == 0 && strncmp(out, b64, WG_KEY_B64_LEN) == 0,
		   "wg show public-key agrees");
		ok(run(port, out, sizeof out) == 0 && strcmp(out, "51999\n") == 0, "wg show listen-port agrees");
	}

	/* Peer 2 departs, peer 1 gets a second allowed IP. */
	wg_device_free(&want);
	memset(&want, 0, sizeof want);
	memcpy(want.ifname, ifname, 5);
	want.has_private_key = true;
	memcpy(want.private_key, priv, WG_KEY_LEN);
	want.listen_port = 51999;
	p = wg_device_add_peer(&want);
	memcpy(p->public_key, k1, WG_KEY_LEN);
	p->endpoint = (struct wg_endpoint){.family = AF_INET, .port = 51820, .addr.v4 = 0xc633640cu};
	p->keepalive = 25;
	wg_peer_add_allowed(p, &(struct wg_allowed_ip){.family = AF_INET, .cidr = 32, .addr.v4 = 0x64600002u});
	wg_peer_add_allowed(p, &(struct wg_allowed_ip){.family = AF_INET, .cidr = 32, .addr.v4 = 0x64600009u});
	ok(wg_device_diff(&cur, &want, true, &set, &changes) == 0 && changes == 2 && !set.set_private_key &&
		   !set.set_listen_port,
	   "diff: one peer updated, one removed, device keys untouched");
	is_int(wg_uapi_set(ifname, &set, &err), 0, "removal and allowed-IP replacement applied");
	free(err);
	err = NULL;
	wg_device_free(&set);
	wg_device_free(&cur);
	wg_uapi_get(ifname, &cur, &err);
	free(err);
	err = NULL;
	p = wg_device_find_peer(&cur, k1);
	ok(cur.n_peers == 1 && p && p->n_allowed == 2, "peer 2 gone, peer 1 has two allowed IPs");
	wg_device_free(&cur);
	wg_device_free(&want);

	wg_uapi_sock_path(ifname, sock, sizeof sock);
	unlink(sock);
	ok(wait_present(ifname, false) == 0, "removing the socket stops wireguard-go");
}

int main(void)
{
	bool can_live = geteuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0;
	const char *const probe[] = {"wireguard-go", "--version", NULL};

	alarm(90); /* a hung daemon must not hang the suite */
	if (!can_live)
		return skip_all("needs root and /dev/net/tun for a real wireguard-go");
	if (run(probe, NULL, 0) != 0)
		return skip_all("needs wireguard-go (apt-get install wireguard-go wireguard-tools)");
	plan(42);
	offline();
	live();
	return done_testing();
}
