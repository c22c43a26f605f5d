/* Docker Engine replies (core/docker.c): the same body is read as a
 * /info, a /swarm and a /nodes reply, as the error body of each HTTP
 * status the client maps, and (its text) as an Api-Version header.
 *
 * What must hold: a reply is accepted or refused with a message; every
 * message and every string taken from a reply is free of control bytes
 * (they end up in log lines and on terminals); what was accepted obeys
 * the documented shapes (identifiers, addresses, tokens, enumerations). */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>

#include "docker.h"
#include "fuzz.h"

static bool only(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      strchr(extra, *s)))
			return false;
	return true;
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static void refused(int r, char *err)
{
	fuzz_require(r < 0, "a refusal is a negative errno");
	fuzz_require(err && *err, "a refusal has a message");
	fuzz_require(fuzz_clean(err), "a message holds no control bytes");
	free(err);
}

static void info(const char *body, size_t len)
{
	static const char *const states[] = {"inactive", "pending", "active", "error", "locked", NULL};
	struct docker_info i;
	char *err = NULL;
	int r = docker_parse_info(body, len, &i, &err);

	if (r < 0) {
		refused(r, err);
		return;
	}
	fuzz_require(!err, "no message on success");
	fuzz_require(fuzz_clean(i.server_version) && *i.server_version, "ServerVersion is text");
	fuzz_require(only(i.node_id, "") && only(i.cluster_id, ""), "IDs are identifiers");
	fuzz_require(only(i.node_addr, ".:[]%_-"), "NodeAddr is an address");
	fuzz_require(one_of(i.local_state, states), "LocalNodeState is known");
	fuzz_require(fuzz_clean(i.error) && fuzz_clean(i.os) && fuzz_clean(i.name), "texts are printable");
	for (size_t k = 0; k < i.n_remote_managers; k++)
		fuzz_require(*i.remote_managers[k] && only(i.remote_managers[k], ".:[]%_-"),
			     "a RemoteManagers address is an address");
	docker_info_free(&i);
}

static void swarm(const char *body, size_t len)
{
	struct docker_swarm s;
	char *err = NULL;
	int r = docker_parse_swarm(body, len, &s, &err);

	if (r < 0) {
		refused(r, err);
		return;
	}
	fuzz_require(*s.id && only(s.id, ""), "the swarm ID is an identifier");
	fuzz_require(docker_join_token_valid(s.worker_token) && docker_join_token_valid(s.manager_token),
		     "join tokens are SWMTKN-1 tokens");
	docker_swarm_free(&s);
}

static void nodes(const char *body, size_t len)
{
	static const char *const roles[] = {"manager", "worker", NULL};
	static const char *const avail[] = {"active", "pause", "drain", NULL};
	static const char *const states[] = {"unknown", "down", "ready", "disconnected", NULL};
	static const char *const reach[] = {"", "unknown", "unreachable", "reachable", NULL};
	struct docker_node *v;
	size_t n;
	char *err = NULL;
	int r = docker_parse_nodes(body, len, &v, &n, &err);

	if (r < 0) {
		refused(r, err);
		fuzz_require(!v && !n, "nothing is handed out on a refusal");
		return;
	}
	for (size_t k = 0; k < n; k++) {
		fuzz_require(*v[k].id && only(v[k].id, ""), "a node ID is an identifier");
		fuzz_require(one_of(v[k].role, roles) && one_of(v[k].availability, avail) &&
				     one_of(v[k].state, states) && one_of(v[k].reachability, reach),
			     "enumerations hold known values");
		fuzz_require(fuzz_clean(v[k].hostname) && only(v[k].addr, ".:[]%_-"), "hostname and address");
	}
	docker_nodes_free(v, n);
}

static void errors(const char *body, size_t len)
{
	static const long statuses[] = {400, 403, 404, 409, 500, 503, 418};
	for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
		char *err = NULL;
		int r = docker_reply_error(statuses[k], body, len, "swarm join", &err);
		refused(r, err);
	}
}

static void api_version(const char *text)
{
	char api[16], *err = NULL;
	unsigned maj, min;
	int r = docker_api_negotiate(text, api, sizeof api, &err);

	if (r < 0) {
		refused(r, err);
		return;
	}
	fuzz_require(sscanf(api, "%u.%u", &maj, &min) == 2 && maj == 1 && min >= 24 && min <= 41,
		     "the negotiated version is 1.24 to 1.41");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_memdup(data, size), *text = fuzz_strdup(data, size);

	info(body, size);
	swarm(body, size);
	nodes(body, size);
	errors(body, size);
	if (size <= 64)
		api_version(text);
	free(body);
	free(text);
	return 0;
}
