/* The controller client's side of the wire (core/registration-client.c
 * and core/status.c; one core/ctl-client.c soon): the answer to a
 * NodeRegistration, and the answer to a status query printed as
 * `clusterctl status` prints it (print_table, static in status.c, which
 * is compiled into this target for it).
 *
 * What must hold: an answer is accepted or refused (-EPROTO with a
 * message); a "ready" answer the node acts on has a role, a SWMTKN token,
 * an ip:port manager, an absolute GlusterMount when Gluster is on, and
 * payloads that are JSON objects; the table prints whatever the
 * controller sent. */
#include "status.c"

#include "fuzz.h"
#include "registration-client.h"

static void answer(const char *text)
{
	struct controller_answer a;
	json_object *o;
	char *err = NULL;

	if (registration_decode(text, &a, &err) < 0) {
		fuzz_require(err && *err, "a refused answer has a message");
		fuzz_require(!a.raw && !a.error && !a.overlay_payload, "a refused answer keeps nothing");
		free(err);
		return;
	}
	fuzz_require(a.status == ANSWER_READY || a.status == ANSWER_WAITING || a.status == ANSWER_ERROR,
		     "the status is known");
	fuzz_require(a.raw && strcmp(a.raw, text) == 0, "the raw answer is kept");
	fuzz_require(a.retry_after <= 3600, "RetryAfter is capped");
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size);
	json_object *o;

	answer(text);
	/* cmd_status() prints a "ready" object's table. */
	o = json_tokener_parse(text);
	if (o && json_object_is_type(o, json_type_object))
		print_table(o);
	json_object_put(o);
	free(text);
	return 0;
}
