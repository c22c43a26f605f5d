/* core/docker.c without a Docker daemon: reply validation on canned bodies
 * (real replies of Docker 20.10.24 in tests/fixtures/docker, and hostile
 * ones), error mapping, version negotiation, and the HTTP side against a
 * fake engine on a unix socket (tests/integration/docker-live.sh covers a
 * real dockerd). */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cc-buf.h"
#include "cc-file.h"
#include "docker.h"
#include "http-unix.h"
#include "../tap.h"
#include "util.h"

static char *fixture(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char *path = NULL, *body = NULL;

	if (asprintf(&path, "%s/tests/fixtures/docker/%s", top ? top : ".", name) < 0)
		return NULL;
	if (cc_read_file(path, 1 << 20, &body, len) < 0) {
		diag("cannot read %s", path);
		body = NULL;
	}
	free(path);
	return body;
}

/* ---- canned bodies ----------------------------------------------- */

static void test_fixtures(void)
{
	struct docker_info i;
	struct docker_swarm s;
	struct docker_node *nv;
	size_t len, n;
	char *b, *err = NULL;

	b = fixture("info-inactive.json", &len);
	is_int(docker_parse_info(b, len, &i, &err), 0, "fresh daemon's info parses");
	is_str(i.local_state, "inactive", "fresh daemon is inactive");
	is_str(i.node_id, "", "no node ID outside a swarm");
	ok(!i.control_available && i.n_remote_managers == 0 && !*i.cluster_id, "no control, managers or cluster");
	is_str(i.server_version, "20.10.24+dfsg1", "engine version");
	ok(i.ncpu > 0 && i.mem_total > 0 && *i.os && *i.name, "resources, OS and name");
	docker_info_free(&i);
	free(b);

	b = fixture("info-manager.json", &len);
	is_int(docker_parse_info(b, len, &i, &err), 0, "manager's info parses");
	is_str(i.local_state, "active", "manager is active");
	ok(i.control_available, "manager has control");
	is_str(i.cluster_id, "5zdyhs2bra1417or61g6pqad0", "cluster ID from Swarm.Cluster");
	is_str(i.node_addr, "198.51.100.61", "node address");
	ok(i.n_remote_managers == 1 && strcmp(i.remote_managers[0], "198.51.100.61:2377") == 0,
	   "remote managers list the manager itself");
	docker_info_free(&i);
	free(b);

	/* Recorded on a lab manager of a two-manager swarm whose overlay
	 * (and so the other manager) was gone: no leader, no cluster ID. */
	b = fixture("info-manager-no-leader.json", &len);
	is_int(docker_parse_info(b, len, &i, &err), 0, "a manager without a leader: info parses");
	ok(strcmp(i.local_state, "active") == 0 && i.control_available && !*i.cluster_id,
	   "active, control, no cluster ID");
	like(i.error, "does not have a leader", "Swarm.Error says why");
	is_str(i.node_addr, "100.96.0.1", "and the address it is advertised on");
	docker_info_free(&i);
	free(b);

	b = fixture("info-worker.json", &len);
	is_int(docker_parse_info(b, len, &i, &err), 0, "worker's info parses");
	ok(strcmp(i.local_state, "active") == 0 && !i.control_available && !*i.cluster_id,
	   "worker: active, no control, no cluster ID");
	is_int(i.n_remote_managers, 2, "worker sees two managers");
	docker_info_free(&i);
	free(b);

	b = fixture("swarm.json", &len);
	is_int(docker_parse_swarm(b, len, &s, &err), 0, "swarm inspect parses");
	is_str(s.id, "5zdyhs2bra1417or61g6pqad0", "swarm ID");
	ok(s.version > 0, "swarm version index");
	ok(docker_join_token_valid(s.worker_token) && docker_join_token_valid(s.manager_token), "tokens are valid");
	ok(strcmp(s.worker_token, s.manager_token) != 0 && strncmp(s.worker_token, s.manager_token, 60) == 0,
	   "worker and manager tokens share the CA digest, not the secret");
	docker_swarm_free(&s);
	free(b);

	b = fixture("nodes.json", &len);
	is_int(docker_parse_nodes(b, len, &nv, &n, &err), 0, "node list parses");
	is_int(n, 3, "three nodes");
	if (n == 3) {
		int leaders = 0, managers = 0;
		for (size_t k = 0; k < n; k++) {
			leaders += nv[k].leader;
			managers += strcmp(nv[k].role, "manager") == 0;
			if (strcmp(nv[k].role, "worker") == 0)
				ok(!*nv[k].reachability && strcmp(nv[k].hostname, "h2") == 0 &&
					   strcmp(nv[k].addr, "198.51.100.62") == 0,
				   "the worker: h2 at 198.51.100.62, no reachability");
		}
		is_int(leaders, 1, "one leader");
		is_int(managers, 2, "two managers");
		ok(strcmp(nv[0].state, "ready") == 0 && strcmp(nv[0].availability, "active") == 0 && nv[0].version,
		   "state, availability and version");
	}
	docker_nodes_free(nv, n);
	free(b);
	free(err);
}

/* Each hostile body: rejected with -EBADMSG (or -EFBIG) and a message
 * naming what is wrong. */
struct hostile {
	const char *body;
	const char *needle;
	const char *what;
};

#define INFO_OK_HEAD "{\"ServerVersion\":\"20.10\",\"NCPU\":2,\"MemTotal\":1024,"

static void test_hostile_info(void)
{
	static const struct hostile cases[] = {
		{"not json", "not valid JSON", "garbage"},
		{"", "empty", "empty body"},
		{"[1,2]", "not an object", "array instead of object"},
		{INFO_OK_HEAD "\"Swarm\":{}} trailing", "after its JSON", "data after the value"},
		{INFO_OK_HEAD "\"X\":1}", "Swarm is missing", "no Swarm"},
		{"{\"ServerVersion\":\"x\",\"NCPU\":\"2\",\"MemTotal\":1,\"Swarm\":{}}", "NCPU is not an integer",
		 "NCPU as a string"},
		{"{\"ServerVersion\":\"x\",\"NCPU\":-2,\"MemTotal\":1,\"Swarm\":{}}", "NCPU is negative", "negative NCPU"},
		{"{\"ServerVersion\":\"x\",\"NCPU\":99999999999,\"MemTotal\":1,\"Swarm\":{}}", "NCPU is out of range",
		 "huge NCPU"},
		{"{\"ServerVersion\":7,\"NCPU\":2,\"MemTotal\":1,\"Swarm\":{}}", "ServerVersion is not a string",
		 "number as version"},
		{INFO_OK_HEAD "\"Swarm\":{\"LocalNodeState\":\"dancing\"}}", "LocalNodeState has an unknown value",
		 "unknown state"},
		{INFO_OK_HEAD "\"Swarm\":{\"LocalNodeState\":\"active\",\"NodeID\":\"../../etc\"}}",
		 "NodeID is not an identifier", "path in a node ID"},
		{INFO_OK_HEAD "\"Swarm\":{\"LocalNodeState\":\"active\",\"NodeID\":\"ab\\u0000cd\"}}", "NUL byte",
		 "NUL inside a node ID"},
		{INFO_OK_HEAD "\"Swarm\":{\"LocalNodeState\":\"active\",\"NodeID\":\"\"}}", "empty on an active node",
		 "active without node ID"},
		{INFO_OK_HEAD "\"Swarm\":{\"ControlAvailable\":\"yes\"}}", "ControlAvailable is not a boolean",
		 "string as boolean"},
		{INFO_OK_HEAD "\"Swarm\":{\"RemoteManagers\":{}}}", "RemoteManagers is not an array",
		 "object as manager list"},
		{INFO_OK_HEAD "\"Swarm\":{\"RemoteManagers\":[{\"NodeID\":\"x\"}]}}", "Addr is missing",
		 "manager without address"},
		{INFO_OK_HEAD "\"Swarm\":{\"RemoteManagers\":[{\"Addr\":\"1.2.3.4:2377; rm -rf /\"}]}}",
		 "is not an address", "shell in an address"},
		{INFO_OK_HEAD "\"Swarm\":{\"RemoteManagers\":[5]}}", "is not an object", "number as a manager"},
		{INFO_OK_HEAD "\"Swarm\":{\"Cluster\":{\"ID\":5}}}", "Cluster.ID is not a string", "numeric cluster ID"},
		{INFO_OK_HEAD "\"OperatingSystem\":\"Debian\\nInjected: line\",\"Swarm\":{}}", "control characters",
		 "newline in a text field"},
	};
	struct docker_info i;

	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		char *err = NULL;
		int r = docker_parse_info(cases[k].body, strlen(cases[k].body), &i, &err);
		is_int(r, -EBADMSG, "info, %s: -EBADMSG", cases[k].what);
		like(err, cases[k].needle, "info, %s: says what is wrong", cases[k].what);
		ok(i.node_id == NULL && i.remote_managers == NULL, "info, %s: nothing left allocated", cases[k].what);
		free(err);
	}

	/* Huge strings and deep nesting. */
	{
		struct cc_buf sb = CC_BUF_INIT;
		char *err = NULL;
		cc_buf_puts(&sb, INFO_OK_HEAD "\"Swarm\":{\"NodeID\":\"");
		for (int k = 0; k < 200000; k++)
			cc_buf_puts(&sb, "a");
		cc_buf_puts(&sb, "\"}}");
		is_int(docker_parse_info(sb.buf, sb.len, &i, &err), -EBADMSG, "a 200 kB node ID is refused");
		like(err, "NodeID is too long", "... as too long");
		free(err);
		err = NULL;
		cc_buf_free(&sb);
		for (int k = 0; k < 5000; k++)
			cc_buf_puts(&sb, "[");
		is_int(docker_parse_info(sb.buf, sb.len, &i, &err), -EBADMSG, "5000 nested arrays are refused");
		free(err);
		cc_buf_free(&sb);
	}
	/* Swarm.Error is quoted to the user: cleaned, not refused. */
	{
		const char *b = INFO_OK_HEAD "\"Swarm\":{\"LocalNodeState\":\"error\",\"Error\":\"bad\\u001b[31m\\nthing\"}}";
		char *err = NULL;
		is_int(docker_parse_info(b, strlen(b), &i, &err), 0, "info in the error state parses");
		is_str(i.error, "bad [31m thing", "Swarm.Error has its control characters blanked");
		is_str(i.local_state, "error", "state error");
		docker_info_free(&i);
		free(err);
	}
}

#define TOK_W "SWMTKN-1-08rrb8119y5f8ik67572m81phk1d4smywjr9xz0e3rs0sk33wo-7nkztqrss4jr50cm7mt68h3a0"
#define TOK_M "SWMTKN-1-08rrb8119y5f8ik67572m81phk1d4smywjr9xz0e3rs0sk33wo-em8zh2lu23aopq9qm36lnbnyo"

static void test_tokens_and_swarm(void)
{
	static const struct {
		const char *t;
		bool valid;
	} toks[] = {
		{TOK_W, true},
		{TOK_M, true},
		{"SWMTKN-1-08rrb8119y5f8ik67572m81phk1d4smywjr9xz0e3rs0sk33w-7nkztqrss4jr50cm7mt68h3a0", false},
		{"SWMTKN-1-08rrb8119y5f8ik67572m81phk1d4smywjr9xz0e3rs0sk33woo-7nkztqrss4jr50cm7mt68h3a0", false},
		{"SWMTKN-1-08rrb8119y5f8ik67572m81phk1d4smywjr9xz0e3rs0sk33wo-7nkztqrss4jr50cm7mt68h3a", false},
		{"SWMTKN-1-08rrb8119y5f8ik67572m81phk1d4smywjr9xz0e3rs0sk33wo-7nkztqrss4jr50cm7mt68h3a00", false},
		{"SWMTKN-1-08RRB8119y5f8ik67572m81phk1d4smywjr9xz0e3rs0sk33wo-7nkztqrss4jr50cm7mt68h3a0", false},
		{"SWMTKN-1-08rrb8119y5f8ik67572m81phk1d4smywjr9xz0e3rs0sk33wo-7nkztqrss4jr50cm7mt68h3a0\n", false},
		{"SWMTKN-1-08rrb8119y5f8ik67572m81phk1d4smywjr9xz0e3rs0sk33wo_7nkztqrss4jr50cm7mt68h3a0", false},
		{"SWMTKN-2-1-08rrb8119y5f8ik67572m81phk1d4smywjr9xz0e3rs0sk33wo-7nkztqrss4jr50cm7mt68h3a0", false},
		{"SWMTKN-1-abc", false},
		{"", false},
		{NULL, false},
	};
	for (size_t k = 0; k < ARRAY_SIZE(toks); k++)
		is_int(docker_join_token_valid(toks[k].t), toks[k].valid, "token %zu is %s", k,
		       toks[k].valid ? "valid" : "refused");

	static const struct hostile cases[] = {
		{"{\"ID\":\"abc\",\"Version\":{\"Index\":3},\"JoinTokens\":{\"Worker\":\"SWMTKN-1-short-x\",\"Manager\":\"" TOK_M
		 "\"}}",
		 "JoinTokens.Worker is not a SWMTKN-1 join token", "short worker token"},
		{"{\"ID\":\"abc\",\"Version\":{\"Index\":3},\"JoinTokens\":{\"Worker\":\"" TOK_W "\"}}",
		 "JoinTokens.Manager is missing", "no manager token"},
		{"{\"ID\":\"abc\",\"Version\":{\"Index\":3}}", "JoinTokens is missing", "no tokens"},
		{"{\"ID\":\"abc\",\"Version\":{\"Index\":-3},\"JoinTokens\":{}}", "Version.Index is negative",
		 "negative version"},
		{"{\"ID\":\"abc\",\"Version\":3,\"JoinTokens\":{}}", "Version is not an object", "version as number"},
		{"{\"ID\":[\"abc\"],\"Version\":{\"Index\":3},\"JoinTokens\":{}}", "ID is not a string", "ID as array"},
		{"\"just a string\"", "not an object", "a string"},
	};
	struct docker_swarm s;
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		char *err = NULL;
		is_int(docker_parse_swarm(cases[k].body, strlen(cases[k].body), &s, &err), -EBADMSG,
		       "swarm, %s: -EBADMSG", cases[k].what);
		like(err, cases[k].needle, "swarm, %s: says what is wrong", cases[k].what);
		ok(!err || !strstr(err, "em8zh2lu23aopq9qm36lnbnyo"), "swarm, %s: no secret in the message",
		   cases[k].what);
		free(err);
	}
}

#define NODE_OK(role, ms)                                                                                  \
	"{\"ID\":\"n1\",\"Version\":{\"Index\":7},\"Spec\":{\"Role\":\"" role "\",\"Availability\":\"active\"}," \
	"\"Description\":{\"Hostname\":\"h1\"},\"Status\":{\"State\":\"ready\",\"Addr\":\"10.0.0.1\"},"       \
	"\"ManagerStatus\":" ms "}"

static void test_hostile_nodes(void)
{
	static const struct hostile cases[] = {
		{"{}", "not an array", "object instead of array"},
		{"[" NODE_OK("king", "null") "]", "Spec.Role has an unknown value", "unknown role"},
		{"[" NODE_OK("worker", "{\"Reachability\":\"maybe\"}") "]", "Reachability has an unknown value",
		 "unknown reachability"},
		{"[" NODE_OK("manager", "{\"Leader\":1,\"Reachability\":\"reachable\"}") "]",
		 "Leader is not a boolean", "number as leader"},
		{"[{\"ID\":\"n1\",\"Spec\":{\"Role\":\"worker\",\"Availability\":\"active\"},\"Status\":{\"State\":\"ready\"}}]",
		 "Node.Version is missing", "no version"},
		{"[{\"ID\":\"n1\",\"Version\":{\"Index\":1},\"Spec\":{\"Role\":\"worker\",\"Availability\":\"active\"}}]",
		 "Node.Status is missing", "no status"},
		{"[" NODE_OK("worker", "null") ",7]", "is not an object", "a number among nodes"},
	};
	struct docker_node *v = NULL;
	size_t n = 99;

	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		char *err = NULL;
		is_int(docker_parse_nodes(cases[k].body, strlen(cases[k].body), &v, &n, &err), -EBADMSG,
		       "nodes, %s: -EBADMSG", cases[k].what);
		like(err, cases[k].needle, "nodes, %s: says what is wrong", cases[k].what);
		ok(v == NULL && n == 0, "nodes, %s: no list returned", cases[k].what);
		free(err);
	}
	{
		struct cc_buf sb = CC_BUF_INIT;
		char *err = NULL;
		cc_buf_puts(&sb, "[");
		for (int k = 0; k <= 10000; k++)
			cc_buf_puts(&sb, k ? ",{}" : "{}");
		cc_buf_puts(&sb, "]");
		is_int(docker_parse_nodes(sb.buf, sb.len, &v, &n, &err), -EBADMSG, "10001 nodes are refused");
		like(err, "too many", "... as too many");
		free(err);
		cc_buf_free(&sb);
	}
	{
		const char *b = "[" NODE_OK("manager", "{\"Leader\":true,\"Reachability\":\"reachable\"}") "]";
		char *err = NULL;
		is_int(docker_parse_nodes(b, strlen(b), &v, &n, &err), 0, "a minimal manager node parses");
		ok(n == 1 && v[0].leader && strcmp(v[0].reachability, "reachable") == 0 && v[0].version == 7,
		   "leader, reachability, version");
		docker_nodes_free(v, n);
		free(err);
	}
}

static void test_errors(void)
{
	static const struct {
		long status;
		const char *body;
		int want;
		const char *advice;
	} cases[] = {
		{503, "{\"message\":\"This node is already part of a swarm. Use \\\"docker swarm leave\\\" to leave this swarm and join another one.\"}",
		 -EEXIST, "already part of a swarm"},
		{503, "{\"message\":\"Timeout was reached before node joined. The attempt to join the swarm will continue in the background. Use the \\\"docker info\\\" command to see the current swarm status of your node.\"}",
		 -ETIMEDOUT, "pending"},
		{500, "{\"message\":\"invalid join token\"}", -EACCES, "malformed"},
		{400, "{\"message\":\"rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster\"}",
		 -EACCES, "refused the join token"},
		{503, "{\"message\":\"This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.\"}",
		 -EPERM, "worker, not a manager"},
		{503, "{\"message\":\"This node is not a swarm manager. Use \\\"docker swarm init\\\" or \\\"docker swarm join\\\" to connect this node to swarm and try again.\"}",
		 -EPERM, "not in a swarm"},
		{503, "{\"message\":\"This node is not part of a swarm\"}", -ENOTCONN, "not part of a swarm"},
		{503, "{\"message\":\"Swarm is encrypted and needs to be unlocked before it can be used. Please use \\\"docker swarm unlock\\\" to unlock it.\"}",
		 -ENOKEY, "docker swarm unlock"},
		{503, "{\"message\":\"You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message. \"}",
		 -EBUSY, "demote it first"},
		{500, "{\"message\":\"rpc error: code = Unknown desc = update out of sequence\"}", -EAGAIN, "retry"},
		{400, "{\"message\":\"client version 1.99 is too new. Maximum supported API version is 1.41\"}",
		 -EPROTONOSUPPORT, "API version"},
		{400, "client version 1.11 is too old. Minimum supported API version is 1.12, please upgrade your client\n",
		 -EPROTONOSUPPORT, "API version"},
		{404, "{\"message\":\"node nosuchnode not found\"}", -ENOENT, "no such object"},
		{400, "{\"message\":\"invalid Availability: \\\"\\\"\"}", -EINVAL, "invalid"},
		{500, "", -EIO, "HTTP 500 with an empty body"},
		{418, "{\"message\":7}", -EPROTO, "{\"message\":7}"},
	};
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		char *err = NULL;
		int r = docker_reply_error(cases[k].status, cases[k].body, strlen(cases[k].body), "an op", &err);
		is_int(r, cases[k].want, "error %zu (HTTP %ld) maps to %d", k, cases[k].status, cases[k].want);
		like(err, cases[k].advice, "error %zu: says what to do", k);
		like(err, "an op failed", "error %zu: names the operation", k);
		free(err);
	}
	{
		struct cc_buf sb = CC_BUF_INIT;
		char *err = NULL;
		bool clean = true;
		cc_buf_puts(&sb, "{\"message\":\"evil\\u001b]0;title\\u0007");
		for (int k = 0; k < 10000; k++)
			cc_buf_puts(&sb, "x");
		cc_buf_puts(&sb, "\"}");
		docker_reply_error(500, sb.buf, sb.len, "an op", &err);
		for (const char *p = err; p && *p; p++)
			clean &= (unsigned char)*p >= 0x20 && *p != 0x7f;
		ok(err && clean, "a hostile daemon message loses its control characters");
		ok(err && strlen(err) < 1000 && strstr(err, "...\")"), "and is cut short");
		free(err);
		cc_buf_free(&sb);
	}
}

static void test_negotiate(void)
{
	static const struct {
		const char *hdr;
		int want;
		const char *api;
	} cases[] = {
		{"1.41", 0, "1.41"}, {"1.43", 0, "1.41"}, {"1.40", 0, "1.40"}, {"1.24", 0, "1.24"},
		{"2.0", 0, "1.41"},  {NULL, 0, "1.24"},   {"1.23", -EPROTONOSUPPORT, NULL},
		{"0.9", -EPROTONOSUPPORT, NULL}, {"abc", -EPROTO, NULL}, {"1.", -EPROTO, NULL},
		{"1.41x", -EPROTO, NULL}, {"", -EPROTO, NULL}, {"1.4100000000000", -EPROTO, NULL},
	};
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		char out[16] = "", *err = NULL;
		int r = docker_api_negotiate(cases[k].hdr, out, sizeof out, &err);
		is_int(r, cases[k].want, "engine API %s: %d", cases[k].hdr ? cases[k].hdr : "(none)", cases[k].want);
		if (cases[k].api)
			is_str(out, cases[k].api, "engine API %s: we speak %s", cases[k].hdr ? cases[k].hdr : "(none)",
			       cases[k].api);
		else
			like(err, cases[k].want == -EPROTONOSUPPORT ? "upgrade docker" : "malformed",
			     "engine API %s: explained", cases[k].hdr);
		free(err);
	}
}

/* ---- a fake engine ------------------------------------------------ */

static void set_sun(struct sockaddr_un *a, const char *path)
{
	size_t n = strlen(path);
	if (n >= sizeof a->sun_path)
		n = sizeof a->sun_path - 1;
	memcpy(a->sun_path, path, n);
	a->sun_path[n] = '\0';
}

struct route {
	const char *method, *path; /* path prefix */
	long status;
	const char *headers; /* extra header lines, each ending in \r\n */
	const char *ctype;
	const char *body;
};

static struct {
	char dir[64], sock[128];
	int lfd;
	pthread_t th;
	bool stop;
	const struct route *routes;
	size_t nroutes;
	int nreq;
	char last_path[512];
	char *last_body;
	int count_prefix_hits; /* requests whose path starts with `count_prefix` */
	const char *count_prefix;
} fk;

static void serve_one(int fd)
{
	struct cc_buf in = CC_BUF_INIT;
	char buf[4096], method[16] = "", path[512] = "";
	const char *hdr_end, *cl;
	size_t clen = 0, need;
	const struct route *rt = NULL;
	ssize_t got;
	char *out = NULL;
	int n;

	while (!(in.buf && (hdr_end = strstr(in.buf, "\r\n\r\n")))) {
		got = read(fd, buf, sizeof buf);
		if (got <= 0)
			goto out;
		cc_buf_append(&in, buf, (size_t)got);
	}
	cl = strcasestr(in.buf, "\r\nContent-Length:");
	if (cl && cl < hdr_end)
		clen = strtoul(cl + 17, NULL, 10);
	need = (size_t)(hdr_end - in.buf) + 4 + clen;
	while (in.len < need) {
		got = read(fd, buf, sizeof buf);
		if (got <= 0)
			goto out;
		cc_buf_append(&in, buf, (size_t)got);
	}
	if (sscanf(in.buf, "%15s %511s", method, path) != 2)
		goto out;
	fk.nreq++;
	snprintf(fk.last_path, sizeof fk.last_path, "%s %s", method, path);
	free(fk.last_body);
	fk.last_body = strndup(hdr_end + 4, clen);
	if (fk.count_prefix && strncmp(path, fk.count_prefix, strlen(fk.count_prefix)) == 0)
		fk.count_prefix_hits++;
	for (size_t k = 0; k < fk.nroutes && !rt; k++)
		if (strcmp(method, fk.routes[k].method) == 0 &&
		    strncmp(path, fk.routes[k].path, strlen(fk.routes[k].path)) == 0)
			rt = &fk.routes[k];
	n = rt ? asprintf(&out,
			  "HTTP/1.1 %ld X\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
			  rt->status, rt->ctype ? rt->ctype : "application/json", strlen(rt->body),
			  rt->headers ? rt->headers : "", rt->body)
	       : asprintf(&out, "HTTP/1.1 404 X\r\nContent-Type: application/json\r\nContent-Length: 27\r\n"
				"Connection: close\r\n\r\n{\"message\":\"page not found\"}");
	if (n > 0)
		cc_write_all(fd, out, (size_t)n);
	free(out);
out:
	cc_buf_free(&in);
}

static void *server(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(fk.lfd, NULL, NULL);
		if (fd < 0 || fk.stop) {
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		serve_one(fd);
		close(fd);
	}
}

static int fake_start(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	strcpy(fk.dir, "/tmp/test-docker-XXXXXX");
	if (!mkdtemp(fk.dir))
		return -1;
	snprintf(fk.sock, sizeof fk.sock, "%s/docker.sock", fk.dir);
	set_sun(&a, fk.sock);
	fk.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fk.lfd < 0 || bind(fk.lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fk.lfd, 8) < 0)
		return -1;
	return pthread_create(&fk.th, NULL, server, NULL) == 0 ? 0 : -1;
}

static void fake_stop(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	fk.stop = true;
	set_sun(&a, fk.sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
		pthread_join(fk.th, NULL);
	if (fd >= 0)
		close(fd);
	close(fk.lfd);
	unlink(fk.sock);
	rmdir(fk.dir);
	free(fk.last_body);
}

static void set_routes(const struct route *r, size_t n)
{
	fk.routes = r;
	fk.nroutes = n;
	fk.nreq = 0;
}

#define PING(hdr) {"GET", "/_ping", 200, hdr, "text/plain; charset=utf-8", "OK"}

static void test_fake_engine(void)
{
	struct docker *d = NULL;
	struct docker_info i;
	char *err = NULL, *info_body;
	size_t len;
	int r;

	info_body = fixture("info-worker.json", &len);

	/* Negotiation: the header name is case-insensitive. */
	{
		const struct route rt[] = {PING("API-VERSION: 1.40\r\n"), {"GET", "/v1.40/info", 200, NULL, NULL, info_body}};
		set_routes(rt, ARRAY_SIZE(rt));
		is_int(docker_open(fk.sock, &d, &err), 0, "open an engine of API 1.40");
		is_str(docker_api_version(d), "1.40", "we speak 1.40 to it");
		is_int(docker_get_info(d, &i, &err), 0, "info from it");
		is_str(fk.last_path, "GET /v1.40/info", "the path carries the negotiated version");
		is_str(i.node_addr, "198.51.100.62", "the reply is parsed");
		docker_info_free(&i);
		docker_close(d);
		d = NULL;
	}
	{
		const struct route rt[] = {PING("Api-Version: 1.45\r\n")};
		set_routes(rt, ARRAY_SIZE(rt));
		is_int(docker_open(fk.sock, &d, &err), 0, "open a newer engine");
		is_str(docker_api_version(d), "1.41", "we stay at 1.41");
		docker_close(d);
		d = NULL;
	}
	{
		const struct route rt[] = {PING(NULL)};
		set_routes(rt, ARRAY_SIZE(rt));
		is_int(docker_open(fk.sock, &d, &err), 0, "open an engine that sends no Api-Version");
		is_str(docker_api_version(d), "1.24", "assume 1.24 like Docker's client");
		docker_close(d);
		d = NULL;
	}
	{
		const struct route rt[] = {PING("Api-Version: 1.12\r\n")};
		set_routes(rt, ARRAY_SIZE(rt));
		r = docker_open(fk.sock, &d, &err);
		is_int(r, -EPROTONOSUPPORT, "an engine of API 1.12 is refused");
		like(err, "too old", "... as too old");
		ok(d == NULL, "... and no handle is returned");
		free(err);
		err = NULL;
	}
	{
		const struct route rt[] = {{"GET", "/_ping", 200, "Api-Version: 1.41\r\n", "text/html", "<html>"}};
		set_routes(rt, ARRAY_SIZE(rt));
		is_int(docker_open(fk.sock, &d, &err), -EPROTO, "a server that is not Docker is refused");
		like(err, "not \"OK\"", "... with the reason");
		free(err);
		err = NULL;
	}
	{
		const struct route rt[] = {{"GET", "/_ping", 500, NULL, "text/plain", "boom"}};
		set_routes(rt, ARRAY_SIZE(rt));
		is_int(docker_open(fk.sock, &d, &err), -EIO, "a failing ping is an error");
		like(err, "boom", "... quoting the daemon");
		free(err);
		err = NULL;
	}

	/* What init and join send, and what their errors become. */
	{
		const struct route rt[] = {
			PING("Api-Version: 1.41\r\n"),
			{"POST", "/v1.41/swarm/init", 200, NULL, NULL, "\"ltldi8oklrkbrd66n3bgmtohz\"\n"},
			{"POST", "/v1.41/swarm/join", 503, NULL, NULL,
			 "{\"message\":\"Timeout was reached before node joined. The attempt to join the swarm will "
			 "continue in the background.\"}\n"},
		};
		struct docker_swarm_params p = {NULL, "100.64.0.5", "100.64.0.5", 0};
		char *id = NULL;
		set_routes(rt, ARRAY_SIZE(rt));
		is_int(docker_open(fk.sock, &d, &err), 0, "open");
		is_int(docker_swarm_init(d, &p, &id, &err), 0, "init");
		is_str(id, "ltldi8oklrkbrd66n3bgmtohz", "init returns the node ID");
		free(id);
		like(fk.last_body, "\"AdvertiseAddr\":\"100.64.0.5\"", "init sends AdvertiseAddr");
		like(fk.last_body, "\"DataPathAddr\":\"100.64.0.5\"", "init sends DataPathAddr");
		like(fk.last_body, "\"ListenAddr\":\"0.0.0.0:2377\"", "init sends the default ListenAddr");
		r = docker_swarm_join(d, &p, "100.64.0.9:2377", TOK_W, &err);
		is_int(r, -ETIMEDOUT, "join to an unreachable manager: -ETIMEDOUT");
		like(err, "stays \"pending\"", "... explaining the pending state");
		free(err);
		err = NULL;
		like(fk.last_body, "\"RemoteAddrs\":[\"100.64.0.9:2377\"]", "join sends RemoteAddrs");
		like(fk.last_body, "\"JoinToken\":\"" TOK_W "\"", "join sends the token");
		like(fk.last_body, "\"AdvertiseAddr\":\"100.64.0.5\"", "join sends AdvertiseAddr");

		int before = fk.nreq;
		is_int(docker_swarm_join(d, &p, "100.64.0.9:2377", "SWMTKN-1-nope", &err), -EINVAL,
		       "a malformed token: -EINVAL");
		like(err, "malformed", "... explained");
		is_int(fk.nreq, before, "... and nothing was sent");
		free(err);
		err = NULL;
		struct docker_swarm_params bad = {NULL, NULL, "100.64.0.5", 0};
		is_int(docker_swarm_init(d, &bad, NULL, &err), -EINVAL, "init without an advertise address: -EINVAL");
		free(err);
		err = NULL;
		struct docker_swarm_params bad2 = {NULL, "100.64.0.5", "100.64.0.5:4789", 0};
		is_int(docker_swarm_init(d, &bad2, NULL, &err), -EINVAL, "a data path address with a port: -EINVAL");
		free(err);
		err = NULL;
		is_int(docker_swarm_join(d, &p, "manager; reboot", TOK_W, &err), -EINVAL, "a bad manager address: -EINVAL");
		free(err);
		err = NULL;
		is_int(fk.nreq, before, "none of them reached the daemon");
		docker_close(d);
		d = NULL;
	}

	/* Role changes send the whole spec back and retry out-of-sequence. */
	{
		const struct route rt[] = {
			PING("Api-Version: 1.41\r\n"),
			{"GET", "/v1.41/nodes/h2", 200, NULL, NULL,
			 "{\"ID\":\"iz0llyon91mjsi1ycjzv2ndkd\",\"Version\":{\"Index\":19},\"Spec\":{\"Labels\":{\"zone\":\"a\"},"
			 "\"Role\":\"worker\",\"Availability\":\"drain\"},\"Status\":{\"State\":\"ready\",\"Addr\":\"198.51.100.62\"},"
			 "\"ManagerStatus\":null}"},
			{"POST", "/v1.41/nodes/iz0llyon91mjsi1ycjzv2ndkd/update?version=19", 500, NULL, NULL,
			 "{\"message\":\"rpc error: code = Unknown desc = update out of sequence\"}"},
		};
		set_routes(rt, ARRAY_SIZE(rt));
		fk.count_prefix = "/v1.41/nodes/iz0llyon91mjsi1ycjzv2ndkd/update";
		fk.count_prefix_hits = 0;
		is_int(docker_open(fk.sock, &d, &err), 0, "open");
		r = docker_node_set_role(d, "h2", "manager", &err);
		is_int(r, -EAGAIN, "a node that keeps changing: -EAGAIN");
		is_int(fk.count_prefix_hits, 5, "after five read-update rounds");
		like(err, "update out of sequence", "... quoting the daemon");
		free(err);
		err = NULL;
		like(fk.last_body, "\"Role\":\"manager\"", "the update sets the role");
		like(fk.last_body, "\"Availability\":\"drain\"", "and keeps the availability");
		like(fk.last_body, "\"Labels\":{\"zone\":\"a\"}", "and the labels");
		fk.count_prefix_hits = 0;
		is_int(docker_node_set_role(d, "h2", "worker", &err), 0, "the role it already has: no-op");
		is_int(fk.count_prefix_hits, 0, "... no update sent");
		is_int(docker_node_set_role(d, "../../swarm/leave", "worker", &err), -EINVAL,
		       "a node reference with a path: -EINVAL");
		free(err);
		err = NULL;
		is_int(docker_node_set_role(d, "h2", "king", &err), -EINVAL, "an unknown role: -EINVAL");
		free(err);
		err = NULL;
		docker_close(d);
		d = NULL;
		fk.count_prefix = NULL;
	}
	free(info_body);
}

static void test_transport(void)
{
	struct docker *d = NULL;
	char *err = NULL, dir[] = "/tmp/test-docker-t-XXXXXX", path[128];
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof path, "%s/missing.sock", dir);
	is_int(docker_open(path, &d, &err), -ENOENT, "no socket: -ENOENT");
	like(err, "Docker daemon is not running (no socket at", "... daemon not running, no socket");
	like(err, "start docker", "... start it");
	free(err);
	err = NULL;

	/* A socket file left by a daemon that is gone. */
	snprintf(path, sizeof path, "%s/stale.sock", dir);
	set_sun(&a, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind a socket nobody listens on");
	is_int(docker_open(path, &d, &err), -ECONNREFUSED, "stale socket: -ECONNREFUSED");
	like(err, "refuses connections", "... explained");
	free(err);
	err = NULL;
	if (fd >= 0)
		close(fd);
	unlink(path);

	snprintf(path, sizeof path, "%s/file", dir);
	cc_write_file_atomic(path, "x", 1, 0644);
	is_int(docker_open(path, &d, &err), -ENOTSOCK, "a regular file: -ENOTSOCK");
	like(err, "not a unix socket", "... explained");
	free(err);
	err = NULL;
	unlink(path);
	rmdir(dir);

	char longp[200];
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[sizeof longp - 1] = '\0';
	is_int(docker_open(longp, &d, &err), -ENAMETOOLONG, "a path over 107 bytes: -ENAMETOOLONG");
	free(err);
}

int main(void)
{
	http_unix_global_init();
	test_fixtures();
	test_hostile_info();
	test_tokens_and_swarm();
	test_hostile_nodes();
	test_errors();
	test_negotiate();
	test_transport();
	if (fake_start() < 0) {
		ok(0, "start the fake engine");
	} else {
		test_fake_engine();
		fake_stop();
	}
	http_unix_global_cleanup();
	return done_testing();
}
