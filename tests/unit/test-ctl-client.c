/* The one controller client (core/ctl-client.c), as protocol.md and
 * doc/controller-protocol.md describe the node's side: the request it
 * builds, the answer it accepts (every field typed and bounded), the
 * status answer, and the exchange itself against a local controller
 * that misbehaves on purpose: too much, too slow, nothing at all. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cc-buf.h"
#include "cc-time.h"
#include "ctl-client.h"

#define TOKEN "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx"
#define ADDR "192.0.2.10:7000"
#define READY "{\"Status\":\"ready\",\"SwarmRole\":\"worker\",\"SwarmJoinToken\":\"" TOKEN "\",\"SwarmManagerAddr\":\"198.51.100.11:2377\""

static int decode(const char *text, struct controller_answer *a, char **err)
{
	return ctl_decode_answer(ADDR, text, strlen(text), a, err);
}

static void test_answer(void)
{
	struct controller_answer a;
	char *err = NULL;

	ok(decode(READY ",\"OverlayType\":\"none\",\"OverlayPayload\":{},\"GlusterEnabled\":false,"
			"\"RegisteredManagers\":1,\"RegisteredWorkers\":2}\n",
		  &a, &err) == 0,
	   "a ready answer decodes");
	is_int(a.status, ANSWER_READY, "Status ready");
	is_str(a.swarm_role, "worker", "SwarmRole");
	is_str(a.manager_addr, "198.51.100.11:2377", "SwarmManagerAddr");
	is_str(a.overlay_payload, "{}", "OverlayPayload kept as JSON text");
	is_str(a.storage_payload, "{}", "absent StoragePayload is {}");
	is_int(a.registered_workers, 2, "counts read");
	is_int(a.min_managers, -1, "an absent count is -1");
	controller_answer_free(&a);

	ok(decode("{\"status\":\"waiting\",\"registeredmanagers\":1,\"MINMANAGERS\":3,\"RetryAfter\":7}", &a, &err) ==
		   0,
	   "keys are matched case-insensitively");
	is_int(a.status, ANSWER_WAITING, "Status waiting");
	is_int(a.min_managers, 3, "MinManagers");
	is_int(a.retry_after, 7, "RetryAfter");
	controller_answer_free(&a);

	ok(decode("{\"Status\":\"waiting\",\"RetryAfter\":86400,\"Message\":null}", &a, &err) == 0,
	   "null is the same as absent");
	is_int(a.retry_after, 3600, "a RetryAfter over an hour is cut to an hour");
	ok(a.message == NULL, "and the null Message is absent");
	controller_answer_free(&a);

	ok(decode("{\"Status\":\"error\",\"Error\":\"JoinSecret is wrong\"}", &a, &err) == 0,
	   "an error answer decodes");
	is_str(a.error, "JoinSecret is wrong", "its Error text is kept for the user");
	controller_answer_free(&a);

	ok(decode("{\"Status\":\"waiting\",\"Status\":\"ready\",\"status\":\"error\"}", &a, &err) == 0 &&
		   a.status == ANSWER_ERROR,
	   "of duplicate keys the last wins, as the controller decodes ours");
	controller_answer_free(&a);
}

static void test_answer_refused(void)
{
	static char deep[200];
	static char long_addr[160];
	struct {
		const char *text, *why, *says;
	} bad[] = {
		{"not json", "not JSON", "is not valid JSON"},
		{"{\"Status\":\"ready\"", "cut short", "ends too early"},
		{"[1,2]", "not an object", "is not a JSON object"},
		{"{\"Status\":\"waiting\"} {}", "a second value after the object", "bytes after its JSON object"},
		{"{}", "no Status", "Status is missing"},
		{"{\"Status\":\"maybe\"}", "an unknown Status", "Status is not"},
		{"{\"Status\":7}", "a Status that is not a string", "Status must be a string"},
		{"{\"Status\":\"waiting\",\"RegisteredManagers\":\"1\"}", "a count as a string",
		 "RegisteredManagers must be a non-negative integer"},
		{"{\"Status\":\"waiting\",\"MinWorkers\":2.0}", "a count as a float", "MinWorkers must be"},
		{"{\"Status\":\"waiting\",\"RetryAfter\":-5}", "a negative RetryAfter", "RetryAfter must be"},
		{"{\"Status\":\"waiting\",\"RetryAfter\":99999999999999999999}", "a RetryAfter past int64",
		 "RetryAfter must be"},
		{"{\"Status\":\"waiting\",\"OverlayPayload\":\"x\"}", "an OverlayPayload that is not an object",
		 "OverlayPayload must be a JSON object"},
		{"{\"Status\":\"waiting\",\"GlusterEnabled\":\"yes\"}", "GlusterEnabled as a string",
		 "GlusterEnabled must be true or false"},
		{"{\"Status\":\"error\",\"Error\":\"a\\u0000b\"}", "a NUL inside a string", "without NUL"},
		{long_addr, "a SwarmManagerAddr over 64 bytes", "SwarmManagerAddr must be a string of at most 64 bytes"},
		{deep, "nesting past the depth limit", "is not valid JSON"},
		{"{\"Status\":\"ready\",\"SwarmRole\":\"worker\",\"SwarmManagerAddr\":\"1.2.3.4:2377\"}",
		 "ready without a token", "SwarmJoinToken"},
		{"{\"Status\":\"ready\",\"SwarmRole\":\"boss\",\"SwarmJoinToken\":\"" TOKEN
		 "\",\"SwarmManagerAddr\":\"1.2.3.4:2377\"}",
		 "ready with a bad role", "SwarmRole"},
		{"{\"Status\":\"ready\",\"SwarmRole\":\"worker\",\"SwarmJoinToken\":\"abc;rm -rf\","
		 "\"SwarmManagerAddr\":\"1.2.3.4:2377\"}",
		 "ready with a malformed token", "SwarmJoinToken"},
		{"{\"Status\":\"ready\",\"SwarmRole\":\"worker\",\"SwarmJoinToken\":\"" TOKEN
		 "\",\"SwarmManagerAddr\":\"example.com:2377\"}",
		 "a manager address that is not ip:port", "SwarmManagerAddr of a ready answer must be ip:port"},
		{READY ",\"GlusterEnabled\":true,\"GlusterMount\":\"relative\"}", "a relative GlusterMount",
		 "GlusterMount must be an absolute path"},
	};
	struct controller_answer a;
	char *err;

	snprintf(long_addr, sizeof long_addr, "{\"Status\":\"waiting\",\"SwarmManagerAddr\":\"%070d\"}", 1);
	{
		struct cc_buf b = CC_BUF_INIT;
		cc_buf_puts(&b, "{\"Status\":\"waiting\",\"OverlayPayload\":");
		for (int i = 0; i < CTL_REPLY_DEPTH + 5; i++)
			cc_buf_puts(&b, "[");
		snprintf(deep, sizeof deep, "%s", b.buf);
		cc_buf_free(&b);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		memset(&a, 0x5a, sizeof a);
		ok(decode(bad[i].text, &a, &err) == -EPROTO && err && strstr(err, bad[i].says) &&
			   strstr(err, "controller at " ADDR),
		   "refused: %s", bad[i].why);
		if (!err || !strstr(err, bad[i].says))
			diag("message: %s", err ? err : "(none)");
		ok(a.swarm_role == NULL && a.overlay_payload == NULL, "and nothing of it is kept");
		free(err);
	}
}

static void test_request(void)
{
	struct node_identity id = {.hostname = (char *)"n1", .node_id = (char *)"abcdef0123456789", .ip = "100.64.0.2",
				   .os = (char *)"Debian GNU/Linux 12", .cpu = 2, .memory = 1024};
	struct node_report r = {.id = &id, .role = "manager", .join_secret = "s3cret-s3cret-s3cret",
				.gluster_capable = true, .observed_overlay = "{\"PublicKey\":\"k\"}",
				.observed_storage = "not an object", .overlay_type = "wireguard",
				.storage_type = "gluster"};
	char *t = ctl_build_registration(&r);
	like(t, "\"Hostname\":\"n1\"", "Hostname sent");
	like(t, "\"Role\":\"manager\"", "Role sent");
	like(t, "\"IP\":\"100.64.0.2\"", "IP sent");
	like(t, "\"NodeID\":\"abcdef0123456789\"", "NodeID sent");
	like(t, "\"GlusterCapable\":true", "GlusterCapable sent");
	like(t, "\"JoinSecret\":\"s3cret-s3cret-s3cret\"", "JoinSecret sent");
	like(t, "\"ProtocolVersion\":2", "ProtocolVersion sent");
	like(t, "\"ClusterctlVersion\":\"" PACKAGE_VERSION "\"", "the program's version sent");
	like(t, "\"OverlayType\":\"wireguard\"", "the node's overlay provider sent");
	like(t, "\"StorageType\":\"gluster\"", "the node's storage provider sent");
	like(t, "\"Observed\":{\"Overlay\":{\"PublicKey\":\"k\"}}", "Observed carries plugin facts, drops non-objects");
	ok(t && strchr(t, '\n') == t + strlen(t) - 1, "one line ending in a newline");
	free(t);

	t = ctl_build_status_query("a\"b");
	is_str(t, "{\"Query\":\"status\",\"ProtocolVersion\":2,\"JoinSecret\":\"a\\\"b\"}\n",
	       "the status query, its secret quoted");
	free(t);
	t = ctl_build_status_query(NULL);
	is_str(t, "{\"Query\":\"status\",\"ProtocolVersion\":2}\n", "and without a secret");
	free(t);
}

static void test_status(void)
{
	static const char ok_text[] =
		"{\"Status\":\"ready\",\"RegisteredManagers\":1,\"RegisteredWorkers\":2,"
		"\"MinManagers\":1,\"MinWorkers\":2,\"MaxManagers\":7,\"WaitForMinimum\":true,"
		"\"ClusterFormed\":true,\"Gating\":\"ready\",\"TokensAvailable\":true,"
		"\"OverlayType\":\"none\",\"StorageType\":\"none\",\"SwarmManagerAddr\":\"198.51.100.71:2377\","
		"\"ManagerJoining\":\"host:m2\","
		"\"Nodes\":[{\"NodeID\":\"\",\"Hostname\":\"w1\",\"IP\":\"192.0.2.1\",\"Role\":\"worker\","
		"\"RequestedRole\":\"worker\",\"Status\":\"ready\",\"OS\":\"\",\"DockerVersion\":\"\","
		"\"CPU\":4,\"Memory\":8589934592,\"GlusterCapable\":false,"
		"\"FirstSeen\":\"2026-11-26T22:00:00Z\",\"LastSeen\":\"2026-11-26T22:05:00Z\","
		"\"Swarm\":{\"NodeID\":\"abc\",\"LocalNodeState\":\"active\",\"ControlAvailable\":false}},"
		"{\"Hostname\":\"w2\"}]}\n";
	struct ctl_status s;
	char *err = NULL;

	ok(ctl_decode_status(ADDR, ok_text, strlen(ok_text), &s, &err) == 0, "the documented status answer decodes");
	ok(s.status == ANSWER_READY && s.registered_workers == 2 && s.max_managers == 7 && s.wait_for_minimum &&
		   s.cluster_formed && s.tokens_available,
	   "counts and flags, typed");
	is_str(s.manager_joining, "host:m2", "ManagerJoining");
	is_int((long long)s.n_nodes, 2, "two nodes");
	ok(s.n_nodes == 2 && s.nodes[0].memory == 8589934592LL && s.nodes[0].has_swarm &&
		   strcmp(s.nodes[0].swarm_state, "active") == 0 && !s.nodes[0].swarm_control_available,
	   "a node with its Swarm state");
	ok(s.n_nodes == 2 && !s.nodes[1].has_swarm && s.nodes[1].cpu == -1 && s.nodes[1].ip == NULL,
	   "a node that sent little: unknowns stay unknown");
	ok(s.json && json_object_is_type(s.json, json_type_object), "the checked answer is kept for --json");
	ctl_status_free(&s);

	struct {
		const char *text, *says;
	} bad[] = {
		{"{\"Status\":\"ready\",\"Nodes\":{}}", "Nodes must be a JSON array"},
		{"{\"Status\":\"ready\",\"Nodes\":[{},3]}", "Nodes[1] must be a JSON object"},
		{"{\"Status\":\"ready\",\"Nodes\":[{},{\"CPU\":\"4\"}]}", "Nodes[1].CPU must be a non-negative integer"},
		{"{\"Status\":\"ready\",\"Nodes\":[{\"Swarm\":[]}]}", "Nodes[0].Swarm must be a JSON object"},
		{"{\"Status\":\"ready\",\"Nodes\":[{\"Swarm\":{\"ControlAvailable\":1}}]}",
		 "Nodes[0].Swarm.ControlAvailable must be true or false"},
		{"{\"Status\":\"ready\",\"Nodes\":[{\"IP\":\"1234567890.1234567890\"}]}", "Nodes[0].IP must be a string"},
		{"{\"Status\":\"ready\",\"MaxManagers\":true}", "MaxManagers must be"},
		{"{\"Nodes\":[]}", "Status is missing"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		ok(ctl_decode_status(ADDR, bad[i].text, strlen(bad[i].text), &s, &err) == -EPROTO && err &&
			   strstr(err, bad[i].says) && strstr(err, ADDR),
		   "status refused: %s", bad[i].says);
		if (err && !strstr(err, bad[i].says))
			diag("message: %s", err);
		ok(s.json == NULL && s.nodes == NULL, "and nothing of it is kept");
		free(err);
	}
	err = NULL;
	static const char refused[] = "{\"Status\":\"error\",\"Error\":\"JoinSecret is wrong\"}";
	ok(ctl_decode_status(ADDR, refused, sizeof refused - 1, &s, &err) == 0 &&
		   s.status == ANSWER_ERROR && s.error && strcmp(s.error, "JoinSecret is wrong") == 0,
	   "a refusal decodes with its Error");
	ctl_status_free(&s);
}

/* ---- a local controller that misbehaves on purpose ---------------------- */

enum serve_mode { SEND_AND_CLOSE, SEND_AND_HANG, SEND_CHUNKS_FOREVER };

/* Listen on 127.0.0.1, and in a child: take one connection, read the
 * request up to its newline, answer with `reply` (len bytes) as `mode`
 * says.  The child exits 0 when the request was `want` exactly. */
static pid_t serve(const char *reply, size_t len, enum serve_mode mode, const char *want, char addr[32])
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	snprintf(addr, 32, "127.0.0.1:%u", ntohs(sa.sin_port));
	pid = fork();
	if (pid != 0) {
		close(lfd);
		return pid;
	}
	{
		char req[4096];
		size_t got = 0;
		int fd = accept(lfd, NULL, NULL), same;
		signal(SIGPIPE, SIG_IGN);
		while (got < sizeof req - 1) {
			ssize_t n = read(fd, req + got, sizeof req - 1 - got);
			if (n <= 0)
				break;
			got += (size_t)n;
			if (memchr(req, '\n', got))
				break;
		}
		req[got] = '\0';
		same = want && strcmp(req, want) == 0;
		if (mode == SEND_CHUNKS_FOREVER) {
			for (;;) {
				if (write(fd, " ", 1) < 0)
					_exit(same ? 0 : 1);
				usleep(50 * 1000);
			}
		}
		for (size_t off = 0; off < len;) {
			ssize_t n = write(fd, reply + off, len - off);
			if (n <= 0)
				break;
			off += (size_t)n;
		}
		if (mode == SEND_AND_HANG)
			sleep(10);
		close(fd);
		_exit(same ? 0 : 1);
	}
}

/* The fake controller's own verdict: it exits by itself once it has
 * answered; a SIGTERM sent before that (a busy machine) would hide it. */
static int verdict(pid_t pid)
{
	int st = 0;
	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(10 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static int reap(pid_t pid)
{
	int st = 0;
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_exchange(void)
{
	static const char req[] = "{\"Query\":\"status\"}\n";
	char addr[32], *reply = NULL, *err = NULL;
	size_t len = 0;
	int64_t t0;
	pid_t pid;
	int r;

	pid = serve("{\"Status\":\"ready\"}\n", 19, SEND_AND_CLOSE, req, addr);
	r = ctl_exchange(addr, req, 5000, &reply, &len, &err);
	is_int(r, 0, "one request, one answer");
	ok(reply && len == 19 && strcmp(reply, "{\"Status\":\"ready\"}\n") == 0, "the whole answer, NUL-terminated");
	free(reply);
	is_int(verdict(pid), 0, "the controller got exactly the request");

	/* One byte over the cap: refused without reading the rest. */
	{
		size_t big = CTL_REPLY_MAX + 1;
		char *text = malloc(big);
		memset(text, ' ', big);
		text[0] = '{';
		pid = serve(text, big, SEND_AND_CLOSE, NULL, addr);
		err = NULL;
		r = ctl_exchange(addr, req, 20000, &reply, &len, &err);
		is_int(r, -EMSGSIZE, "an answer one byte over the cap is refused");
		like(err, "sent an answer larger than 16777216 bytes", "and the message says how large");
		like(err, addr, "naming the controller");
		ok(reply == NULL, "nothing is returned");
		free(err);
		reap(pid);
		/* Exactly the cap is fine. */
		pid = serve(text, big - 1, SEND_AND_CLOSE, NULL, addr);
		err = NULL;
		r = ctl_exchange(addr, req, 20000, &reply, &len, &err);
		ok(r == 0 && len == CTL_REPLY_MAX, "an answer of exactly the cap is read");
		free(reply);
		reap(pid);
		free(text);
	}

	/* A controller that answers and never closes, or trickles forever:
	 * the deadline ends it, whatever arrived. */
	pid = serve("{\"Status\":", 10, SEND_AND_HANG, NULL, addr);
	err = NULL;
	t0 = cc_mono_ms();
	r = ctl_exchange(addr, req, 300, &reply, &len, &err);
	is_int(r, -ETIMEDOUT, "an answer that never ends: -ETIMEDOUT");
	ok(cc_mono_ms() - t0 < 3000, "at the deadline, not when the controller gives up");
	like(err, "sent no complete answer before the deadline", "says so");
	like(err, addr, "naming the controller");
	free(err);
	reap(pid);
	pid = serve(NULL, 0, SEND_CHUNKS_FOREVER, NULL, addr);
	err = NULL;
	r = ctl_exchange(addr, req, 300, &reply, &len, &err);
	is_int(r, -ETIMEDOUT, "a trickle of one byte every 50 ms does not extend the deadline");
	free(err);
	reap(pid);

	pid = serve("", 0, SEND_AND_CLOSE, NULL, addr);
	err = NULL;
	r = ctl_exchange(addr, req, 5000, &reply, &len, &err);
	is_int(r, -EPROTO, "a close without an answer: -EPROTO");
	like(err, "closed the connection without an answer", "says so");
	free(err);
	reap(pid);

	/* Nothing listens on the port serve() used and let go. */
	err = NULL;
	r = ctl_exchange(addr, req, 2000, &reply, &len, &err);
	is_int(r, -ECONNREFUSED, "nobody listening: -ECONNREFUSED");
	like(err, "cannot connect to the controller at 127.0.0.1:", "names the address");
	free(err);

	err = NULL;
	r = ctl_exchange("controller.lan:7000", req, 2000, &reply, &len, &err);
	is_int(r, -EINVAL, "a name instead of an IPv4 address: -EINVAL");
	like(err, "\"controller.lan:7000\" is not an IPv4 address and port", "the message says what is expected");
	free(err);
	err = NULL;
	r = ctl_exchange("192.0.2.1:0", req, 2000, &reply, &len, &err);
	is_int(r, -EINVAL, "port 0: -EINVAL");
	free(err);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* The fakes below speak protocol.md's bare wire format; the TLS
	 * channel is test-tls's. */
	ctl_client_set_plaintext(true);
	test_answer();
	test_answer_refused();
	test_request();
	test_status();
	test_exchange();
	return done_testing();
}
