/* The controller's request path (core/protocol.c) on whatever a client
 * sends: the incremental framer, then the decoder and its validators,
 * then the answer the controller writes back.
 *
 * What must hold for any bytes:
 *  - framing does not depend on how the bytes arrive: fed whole and fed
 *    in small pieces (as a socket may deliver them) the framer ends in
 *    the same state with the same object;
 *  - a refused request has a message, and the error answer carrying it
 *    is one JSON object that gives the message back unchanged;
 *  - an accepted registration's strings (which end up in answers, logs
 *    and the state file) survive the encoder: the answer built from
 *    them parses back to the same text. */
#include "autoconfig.h"

#include <string.h>

#include <json-c/json.h>

#include "cc-net.h"
#include "fuzz.h"
#include "protocol.h"

/* Small, so inputs of the fuzzer's usual sizes reach the size limit. */
#define FUZZ_MAX_REQUEST 1024

/* As conn_readable() does: feed until DONE or ERROR, then EOF. */
static int frame(const uint8_t *data, size_t size, size_t piece, struct framer *f)
{
	size_t off = 0;

	fuzz_require(framer_init(f, FUZZ_MAX_REQUEST) == 0, "framer_init");
	while (off < size && f->state != FRAME_ERROR) {
		size_t n = size - off < piece ? size - off : piece;
		framer_feed(f, (const char *)data + off, n);
		off += n;
	}
	framer_eof(f);
	fuzz_require(f->state == FRAME_DONE || f->state == FRAME_ERROR, "framer ends DONE or ERROR");
	fuzz_require(f->state != FRAME_ERROR || (f->err && *f->err), "a framing error has a message");
	fuzz_require(f->state != FRAME_DONE || f->obj, "a framed request has an object");
	return f->state;
}

static const char *text_of(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static struct json_object *parse_answer(const char *text, size_t len)
{
	struct json_object *o;
	fuzz_require(text && len > 0 && text[len - 1] == '\n', "an answer is one line");
	o = json_tokener_parse(text);
	fuzz_require(o && json_object_is_type(o, json_type_object), "an answer is a JSON object");
	return o;
}

static void same_string(struct json_object *answer, const char *key, const char *want)
{
	struct json_object *v;
	if (!want)
		return;
	fuzz_require(json_object_object_get_ex(answer, key, &v) && json_object_is_type(v, json_type_string),
		     "the answer carries the field");
	fuzz_require(strcmp(json_object_get_string(v), want) == 0, "a string survives the encoder unchanged");
}

static void same_object(struct json_object *answer, const char *key, const char *want)
{
	struct json_object *v, *w;
	if (!want)
		return;
	fuzz_require(json_object_object_get_ex(answer, key, &v) && json_object_is_type(v, json_type_object),
		     "the answer carries the object");
	w = json_tokener_parse(want);
	fuzz_require(w && json_object_equal(v, w), "an Observed object survives the encoder unchanged");
	json_object_put(w);
}

static void check_error_answer(const char *err)
{
	size_t len;
	char *text = protocol_encode_error(err, &len);
	struct json_object *o = parse_answer(text, len);
	same_string(o, "Status", "error");
	same_string(o, "Error", err);
	json_object_put(o);
	free(text);
}

/* Echo every client string through one ready answer, as the controller
 * echoes observed objects into payloads and names into messages. */
static void check_ready_answer(const struct registration *g)
{
	struct response rs = {
		.status = PROTO_READY,
		.swarm_role = g->role,
		.swarm_join_token = g->os,
		.swarm_manager_addr = g->ip,
		.overlay_type = g->hostname,
		.overlay_payload = g->observed_overlay,
		.gluster_enabled = true,
		.gluster_volume = g->docker_version,
		.gluster_mount = g->timestamp,
		.gluster_brick = g->node_id,
		.storage_payload = g->observed_storage,
		.message = g->swarm.cluster_id,
	};
	size_t len;
	char *text = protocol_encode_response(&rs, &len);
	struct json_object *o = parse_answer(text, len);

	same_string(o, "SwarmRole", proto_role_name(g->role));
	same_string(o, "SwarmJoinToken", g->os ? g->os : "");
	same_string(o, "SwarmManagerAddr", g->ip);
	same_string(o, "OverlayType", g->hostname);
	same_string(o, "GlusterVolume", g->docker_version ? g->docker_version : "");
	same_string(o, "GlusterMount", g->timestamp ? g->timestamp : "");
	same_string(o, "GlusterBrick", g->node_id ? g->node_id : "");
	same_string(o, "Message", g->swarm.cluster_id);
	same_object(o, "OverlayPayload", g->observed_overlay);
	same_object(o, "StoragePayload", g->observed_storage);
	json_object_put(o);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct framer whole, pieces;
	struct json_object *obj;
	struct request req;
	char *err = NULL;
	/* Piece size from the length, so every input is also tried cut
	 * at other places than its neighbours. */
	size_t piece = 1 + (size * 2654435761u >> 7) % 13;

	frame(data, size, size ? size : 1, &whole);
	frame(data, size, piece, &pieces);
	fuzz_require(whole.state == pieces.state, "framing does not depend on how the bytes arrive");
	if (whole.state == FRAME_ERROR) {
		check_error_answer(whole.err);
		goto out;
	}
	fuzz_require(strcmp(text_of(whole.obj), text_of(pieces.obj)) == 0,
		     "the same object whatever the pieces");

	obj = framer_take(&whole);
	if (protocol_decode(obj, &req, &err) < 0) {
		fuzz_require(err && *err, "a refused request has a message");
		check_error_answer(err);
		free(err);
	} else {
		fuzz_require(err == NULL, "no message for an accepted request");
		if (req.kind == REQ_REGISTER) {
			const struct registration *g = &req.reg;
			fuzz_require(cc_hostname_valid(g->hostname), "an accepted Hostname is valid");
			fuzz_require(proto_ipv4_valid(g->ip), "an accepted IP is valid");
			fuzz_require(!g->node_id || proto_node_id_valid(g->node_id), "an accepted NodeID is valid");
			fuzz_require(!g->timestamp || proto_rfc3339_valid(g->timestamp),
				     "an accepted Timestamp is valid");
			check_ready_answer(g);
		}
		request_free(&req);
	}
	json_object_put(obj);
out:
	framer_free(&whole);
	framer_free(&pieces);
	return 0;
}
