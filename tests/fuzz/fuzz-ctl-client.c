/* The controller client's decoding (core/ctl-client.c): a controller's
 * answer to a NodeRegistration, and its answer to a status query, as
 * `node join`, `agent` and `status` read them.
 *
 * What must hold: an answer is accepted or refused (-EPROTO with a
 * message naming the controller); a "ready" answer the node acts on has
 * a role, a SWMTKN token, an ip:port manager, an absolute GlusterMount
 * when Gluster is on, and payloads that are JSON objects; counts are -1
 * (absent) or not negative; a status lists every node it says it has. */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>

#include "ctl-client.h"
#include "fuzz.h"

#define ADDR "192.0.2.10:7000"

static void answer(const char *text, size_t len)
{
	struct controller_answer a;
	json_object *o;
	char *err = NULL;

	if (ctl_decode_answer(ADDR, text, len, &a, &err) < 0) {
		fuzz_require(err && strstr(err, ADDR), "a refused answer has a message naming the controller");
		free(err);
		return;
	}
	fuzz_require(a.status == ANSWER_READY || a.status == ANSWER_WAITING || a.status == ANSWER_ERROR,
		     "the status is known");
	fuzz_require(a.retry_after <= 3600, "RetryAfter is capped");
	fuzz_require(a.registered_managers >= -1 && a.registered_workers >= -1 && a.min_managers >= -1 &&
			     a.min_workers >= -1,
		     "counts are absent or not negative");
	if (a.status == ANSWER_READY) {
		fuzz_require(a.swarm_role && (!strcmp(a.swarm_role, "manager") || !strcmp(a.swarm_role, "worker")),
			     "ready has a role");
		fuzz_require(a.join_token && !strncmp(a.join_token, "SWMTKN-", 7), "ready has a join token");
		fuzz_require(a.manager_addr && strchr(a.manager_addr, ':'), "ready has a manager ip:port");
		fuzz_require(!a.gluster_enabled || (a.gluster_mount && a.gluster_mount[0] == '/'),
			     "Gluster on has an absolute mount");
	}
	for (int i = 0; i < 2; i++) {
		o = json_tokener_parse(i ? a.storage_payload : a.overlay_payload);
		fuzz_require(o && json_object_is_type(o, json_type_object), "a payload is a JSON object");
		json_object_put(o);
	}
	controller_answer_free(&a);
}

static void status(const char *text, size_t len)
{
	struct ctl_status s;
	char *err = NULL;

	if (ctl_decode_status(ADDR, text, len, &s, &err) < 0) {
		fuzz_require(err && strstr(err, ADDR), "a refused status has a message naming the controller");
		free(err);
		return;
	}
	fuzz_require(s.status == ANSWER_READY || s.status == ANSWER_WAITING || s.status == ANSWER_ERROR,
		     "the status is known");
	fuzz_require(!s.n_nodes || s.nodes, "every node listed is there");
	for (size_t i = 0; i < s.n_nodes; i++)
		fuzz_require(s.nodes[i].cpu >= -1 && s.nodes[i].memory >= -1, "a node's counts");
	ctl_status_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size);

	answer(text, size);
	status(text, size);
	free(text);
	return 0;
}
