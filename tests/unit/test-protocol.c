/* protocol.md, checked clause by clause: framing, key matching,
 * NodeRegistration validation, response encoding. */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../tap.h"
#include "cc-net.h"
#include "cc-buf.h"
#include "protocol.h"

#define LIMIT 65536

/* Frame a whole buffer fed in pieces of `chunk` bytes, then decode. */
static int frame_all(const char *buf, size_t len, size_t chunk, size_t limit, struct framer *f)
{
	size_t off = 0;
	framer_init(f, limit);
	while (off < len && f->state != FRAME_ERROR) {
		size_t n = len - off < chunk ? len - off : chunk;
		framer_feed(f, buf + off, n);
		off += n;
	}
	return f->state;
}

/* Returns 0 and fills *rq, or -EINVAL with *err. */
static int decode(const char *text, struct request *rq, char **err)
{
	struct framer f;
	struct json_object *o;
	int r;
	*err = NULL;
	if (frame_all(text, strlen(text), 7, LIMIT, &f) != FRAME_DONE) {
		if (f.state == FRAME_MORE)
			framer_eof(&f);
		*err = strdup(f.err ? f.err : "?");
		framer_free(&f);
		return -EINVAL;
	}
	o = framer_take(&f);
	framer_free(&f);
	r = protocol_decode(o, rq, err);
	json_object_put(o);
	return r;
}

static void expect_error(const char *text, const char *needle, const char *what)
{
	struct request rq;
	char *err = NULL;
	int r = decode(text, &rq, &err);
	ok(r == -EINVAL, "%s: refused", what);
	like(err, needle, "%s: error names the problem", what);
	if (r == 0)
		request_free(&rq);
	free(err);
}

#define BASE "\"Hostname\":\"node-1\",\"Role\":\"worker\",\"IP\":\"192.0.2.10\""

static void test_full_registration(void)
{
	struct request rq;
	char *err = NULL;
	const char *text =
		"{\"Hostname\":\"node-1.example.org\",\"Role\":\"manager\",\"IP\":\"10.1.2.3\","
		"\"OS\":\"Debian GNU/Linux 12\",\"CPU\":8,\"Memory\":17179869184,"
		"\"DockerVersion\":\"24.0.7\",\"GlusterCapable\":true,"
		"\"Timestamp\":\"2026-11-26T22:00:00.123+01:00\",\"ProtocolVersion\":1,"
		"\"JoinSecret\":\"s3cret\",\"NodeID\":\"a1b2-c3\","
		"\"Observed\":{\"Overlay\":{\"PublicKey\":\"abc=\"},\"Storage\":{\"Brick\":true},"
		"\"Swarm\":{\"NodeID\":\"sw1\",\"LocalNodeState\":\"active\",\"ControlAvailable\":true,"
		"\"ClusterID\":\"cl1\",\"NodeAddr\":\"10.1.2.3\"}},\"Unknown\":[1,2,3]}\n";
	int r = decode(text, &rq, &err);

	is_int(r, 0, "full registration decodes (%s)", err ? err : "");
	if (r < 0)
		return;
	is_int(rq.kind, REQ_REGISTER, "kind is registration");
	is_str(rq.reg.hostname, "node-1.example.org", "Hostname");
	is_int(rq.reg.role, PROTO_ROLE_MANAGER, "Role");
	is_str(rq.reg.ip, "10.1.2.3", "IP");
	is_str(rq.reg.os, "Debian GNU/Linux 12", "OS");
	is_int(rq.reg.cpu, 8, "CPU");
	is_int(rq.reg.memory, 17179869184LL, "Memory");
	is_str(rq.reg.docker_version, "24.0.7", "DockerVersion");
	ok(rq.reg.gluster_capable, "GlusterCapable");
	is_str(rq.reg.timestamp, "2026-11-26T22:00:00.123+01:00", "Timestamp");
	is_int(rq.reg.protocol_version, 1, "ProtocolVersion");
	is_str(rq.join_secret, "s3cret", "JoinSecret");
	is_str(rq.reg.node_id, "a1b2-c3", "NodeID");
	is_str(rq.reg.observed_overlay, "{\"PublicKey\":\"abc=\"}", "Observed.Overlay as JSON text");
	is_str(rq.reg.observed_storage, "{\"Brick\":true}", "Observed.Storage as JSON text");
	ok(rq.reg.swarm.present, "Observed.Swarm present");
	is_str(rq.reg.swarm.node_id, "sw1", "Observed.Swarm.NodeID");
	is_str(rq.reg.swarm.local_state, "active", "Observed.Swarm.LocalNodeState");
	ok(rq.reg.swarm.control_available, "Observed.Swarm.ControlAvailable");
	is_str(rq.reg.swarm.cluster_id, "cl1", "Observed.Swarm.ClusterID");
	is_str(rq.reg.swarm.node_addr, "10.1.2.3", "Observed.Swarm.NodeAddr");
	request_free(&rq);
}

/* Version 2 adds the node's providers and program version; a version 1
 * node (test_full_registration) is still accepted, one version behind. */
static void test_version2(void)
{
	struct request rq;
	char *err = NULL;
	int r = decode("{" BASE ",\"ProtocolVersion\":2,\"OverlayType\":\"wireguard\","
		       "\"storagetype\":\"gluster\",\"ClusterctlVersion\":\"0.2.0~rc1+b2\"}",
		       &rq, &err);

	is_int(r, 0, "a version 2 registration decodes (%s)", err ? err : "");
	if (r < 0)
		return;
	is_int(rq.reg.protocol_version, 2, "ProtocolVersion 2");
	is_str(rq.reg.overlay_type, "wireguard", "OverlayType: the node's overlay provider");
	is_str(rq.reg.storage_type, "gluster", "StorageType, matched case-insensitively");
	is_str(rq.reg.clusterctl_version, "0.2.0~rc1+b2", "ClusterctlVersion");
	request_free(&rq);
	r = decode("{" BASE "}", &rq, &err);
	ok(r == 0 && !rq.reg.overlay_type && !rq.reg.storage_type && !rq.reg.clusterctl_version,
	   "a minimal client sends none of them, and none is required");
	if (r == 0)
		request_free(&rq);
}

static void test_remove(void)
{
	struct request rq;
	char *err = NULL;
	int r = decode("{\"Query\":\"remove\",\"node\":\"w1.example\",\"Force\":true,\"JoinSecret\":\"s\"}", &rq, &err);

	is_int(r, 0, "a remove query decodes (%s)", err ? err : "");
	if (r < 0)
		return;
	is_int(rq.kind, REQ_REMOVE, "kind is remove");
	is_str(rq.remove_node, "w1.example", "the node, by host name");
	ok(rq.remove_force, "Force");
	is_str(rq.join_secret, "s", "with the join secret");
	request_free(&rq);
}

static void test_minimal_and_case(void)
{
	struct request rq;
	char *err = NULL;
	int r = decode("{" BASE "}", &rq, &err);
	is_int(r, 0, "minimal registration decodes");
	if (r == 0) {
		ok(rq.reg.os == NULL && rq.reg.cpu == -1 && rq.reg.memory == -1 && !rq.reg.gluster_capable &&
			   !rq.reg.node_id && !rq.join_secret && !rq.reg.swarm.present,
		   "optional fields absent; GlusterCapable defaults to false");
		request_free(&rq);
	}
	r = decode("{\"hostname\":\"h\",\"ROLE\":\"worker\",\"iP\":\"192.0.2.1\",\"cpu\":2,"
		   "\"joinsecret\":\"x\",\"NODEID\":\"n\",\"observed\":{\"SWARM\":{\"controlavailable\":"
		   "false,\"localnodestate\":\"pending\"}},\"glustercapable\":true}",
		   &rq, &err);
	is_int(r, 0, "keys match case-insensitively");
	if (r == 0) {
		is_str(rq.reg.hostname, "h", "hostname -> Hostname");
		is_int(rq.reg.cpu, 2, "cpu -> CPU");
		is_str(rq.join_secret, "x", "joinsecret -> JoinSecret");
		is_str(rq.reg.node_id, "n", "NODEID -> NodeID");
		is_str(rq.reg.swarm.local_state, "pending", "nested keys match case-insensitively");
		ok(rq.reg.gluster_capable, "glustercapable -> GlusterCapable");
		request_free(&rq);
	}
	r = decode("{" BASE ",\"Extra\":{\"deep\":[{}]},\"Foo\":null,\"OS\":null}", &rq, &err);
	is_int(r, 0, "unknown keys are ignored, null optional fields are absent");
	if (r == 0) {
		ok(rq.reg.os == NULL, "OS null is absent");
		request_free(&rq);
	}
	r = decode("{\"Query\":\"status\",\"JoinSecret\":\"abc\"}", &rq, &err);
	is_int(r, 0, "status query decodes");
	if (r == 0) {
		is_int(rq.kind, REQ_STATUS, "kind is status");
		is_str(rq.join_secret, "abc", "status query carries the secret");
		request_free(&rq);
	}
}

static void test_invalid(void)
{
	char big[300];

	expect_error("hello", "not valid JSON", "not JSON");
	expect_error("this is not json", "not valid JSON", "not JSON starting like true");
	expect_error("true", "not a JSON object", "a boolean");
	expect_error("null ", "not a JSON object", "null");
	expect_error("{\"Hostname\":", "not valid JSON", "truncated object at EOF");
	expect_error("{\"a\":1,}", "not valid JSON", "trailing comma");
	expect_error("[1,2]", "not a JSON object", "an array");
	expect_error("\"str\"", "not a JSON object", "a string");
	expect_error("42", "not a JSON object", "a number");
	expect_error("", "empty request", "nothing at all");
	expect_error("   \n", "empty request", "only whitespace");
	expect_error("{\"Role\":\"worker\",\"IP\":\"192.0.2.1\"}", "Hostname is required", "missing Hostname");
	expect_error("{\"Hostname\":\"h\",\"IP\":\"192.0.2.1\"}", "Role is required", "missing Role");
	expect_error("{\"Hostname\":\"h\",\"Role\":\"worker\"}", "IP is required", "missing IP");
	expect_error("{\"Hostname\":null,\"Role\":\"worker\",\"IP\":\"192.0.2.1\"}", "Hostname is required",
		     "null Hostname");
	expect_error("{\"Hostname\":5,\"Role\":\"worker\",\"IP\":\"192.0.2.1\"}", "Hostname must be a string",
		     "Hostname wrong type");
	expect_error("{\"Hostname\":\"h\",\"Role\":true,\"IP\":\"192.0.2.1\"}", "Role must be a string",
		     "Role wrong type");
	expect_error("{\"Hostname\":\"h\",\"Role\":\"worker\",\"IP\":[1]}", "IP must be a string", "IP wrong type");
	expect_error("{" BASE ",\"CPU\":\"8\"}", "CPU must be a whole number", "CPU as string");
	expect_error("{" BASE ",\"CPU\":2.5}", "CPU must be a whole number", "CPU fractional");
	expect_error("{" BASE ",\"CPU\":-1}", "CPU must be a whole number from 0", "CPU negative");
	expect_error("{" BASE ",\"Memory\":99999999999999999999999}", "Memory must be a whole number",
		     "Memory overflows int64");
	expect_error("{" BASE ",\"Memory\":true}", "Memory must be a whole number", "Memory bool");
	expect_error("{" BASE ",\"OS\":1}", "OS must be a string", "OS wrong type");
	expect_error("{" BASE ",\"DockerVersion\":{}}", "DockerVersion must be a string", "DockerVersion wrong type");
	expect_error("{" BASE ",\"GlusterCapable\":\"yes\"}", "GlusterCapable must be true or false",
		     "GlusterCapable wrong type");
	expect_error("{" BASE ",\"Timestamp\":\"yesterday\"}", "not an RFC 3339 time", "bad Timestamp");
	expect_error("{" BASE ",\"Timestamp\":7}", "Timestamp must be a string", "Timestamp wrong type");
	expect_error("{" BASE ",\"ProtocolVersion\":3}", "ProtocolVersion 3 is not supported", "protocol 3: newer");
	expect_error("{" BASE ",\"ProtocolVersion\":3}", "upgrade the controller before the nodes",
		     "and the refusal says what to upgrade first");
	expect_error("{" BASE ",\"ProtocolVersion\":0}", "speaks versions 1 to 2", "protocol 0: two behind");
	expect_error("{" BASE ",\"OverlayType\":\"wire guard\"}", "OverlayType \"wire guard\" may hold only",
		     "a provider name with a blank");
	expect_error("{" BASE ",\"StorageType\":\"\"}", "StorageType must not be empty", "an empty provider name");
	expect_error("{" BASE ",\"StorageType\":1}", "StorageType must be a string", "StorageType wrong type");
	expect_error("{" BASE ",\"ClusterctlVersion\":\"1.0\\u001b[2J\"}", "ClusterctlVersion \"1.0?[2J\" may hold only",
		     "a version with a terminal escape");
	expect_error("{" BASE ",\"ProtocolVersion\":\"1\"}", "ProtocolVersion must be", "protocol as string");
	expect_error("{" BASE ",\"JoinSecret\":1}", "JoinSecret must be a string", "JoinSecret wrong type");
	expect_error("{" BASE ",\"NodeID\":\"a b\"}", "NodeID \"a b\" is not valid", "NodeID with a space");
	expect_error("{" BASE ",\"NodeID\":3}", "NodeID must be a string", "NodeID wrong type");
	expect_error("{" BASE ",\"Observed\":[]}", "Observed must be an object", "Observed array");
	expect_error("{" BASE ",\"Observed\":{\"Overlay\":\"x\"}}", "Observed.Overlay must be an object",
		     "Observed.Overlay string");
	expect_error("{" BASE ",\"Observed\":{\"Storage\":1}}", "Observed.Storage must be an object",
		     "Observed.Storage number");
	expect_error("{" BASE ",\"Observed\":{\"Swarm\":{\"ControlAvailable\":\"true\"}}}",
		     "ControlAvailable must be true or false", "ControlAvailable string");
	expect_error("{" BASE ",\"Observed\":{\"Swarm\":{\"NodeID\":1}}}", "Observed.Swarm.NodeID must be",
		     "Swarm.NodeID number");
	expect_error("{\"Hostname\":\"h\",\"Role\":\"Manager\",\"IP\":\"192.0.2.1\"}",
		     "must be \"manager\" or \"worker\"", "Role with capital M");
	expect_error("{\"Hostname\":\"h\",\"Role\":\"leader\",\"IP\":\"192.0.2.1\"}",
		     "Role \"leader\" is not valid", "Role leader");
	expect_error("{\"Hostname\":\"-bad\",\"Role\":\"worker\",\"IP\":\"192.0.2.1\"}",
		     "not a valid RFC 1123 host name", "Hostname starting with -");
	expect_error("{\"Hostname\":\"a_b\",\"Role\":\"worker\",\"IP\":\"192.0.2.1\"}",
		     "not a valid RFC 1123 host name", "Hostname with _");
	expect_error("{\"Hostname\":\"\",\"Role\":\"worker\",\"IP\":\"192.0.2.1\"}",
		     "not a valid RFC 1123 host name", "empty Hostname");
	memset(big, 'a', 254);
	big[254] = '\0';
	for (int i = 63; i < 254; i += 64)
		big[i] = '.';
	{
		char req[512];
		snprintf(req, sizeof req, "{\"Hostname\":\"%s\",\"Role\":\"worker\",\"IP\":\"192.0.2.1\"}", big);
		expect_error(req, "not a valid RFC 1123 host name", "254-character Hostname");
	}
	expect_error("{\"Hostname\":\"h\",\"Role\":\"worker\",\"IP\":\"192.0.2\"}", "not a usable IPv4",
		     "IP with three parts");
	expect_error("{\"Hostname\":\"h\",\"Role\":\"worker\",\"IP\":\"256.1.1.1\"}", "not a usable IPv4",
		     "IP octet 256");
	expect_error("{\"Hostname\":\"h\",\"Role\":\"worker\",\"IP\":\"::1\"}", "not a usable IPv4", "IPv6");
	expect_error("{\"Hostname\":\"h\",\"Role\":\"worker\",\"IP\":\"10.0.0.01\"}", "not a usable IPv4",
		     "IP with a leading zero");
	expect_error("{\"Query\":\"nodes\"}", "Query \"nodes\" is not known", "unknown query");
	expect_error("{\"Query\":\"remove\"}", "Node is required", "remove without a node");
	expect_error("{\"Query\":\"remove\",\"Node\":\"a b\"}", "neither a NodeID nor a host name", "remove: a bad name");
	expect_error("{\"Query\":\"remove\",\"Node\":\"w1\",\"Force\":1}", "Force must be true or false",
		     "remove: Force not a boolean");
	expect_error("{" BASE "} x", "unexpected data after the JSON object", "trailing bytes");
	expect_error("{" BASE "}{}", "unexpected data after the JSON object", "a second object");
	expect_error("{\"Hostname\":\"h\\u0000\",\"Role\":\"worker\",\"IP\":\"192.0.2.1\"}",
		     "Hostname contains a NUL", "escaped NUL in a string");
}

static void test_validators(void)
{
	char h[300];
	ok(cc_hostname_valid("a"), "one-letter host name");
	ok(cc_hostname_valid("node-01.lan"), "dotted host name");
	ok(cc_hostname_valid("1node"), "RFC 1123 allows a leading digit");
	ok(!cc_hostname_valid("node."), "trailing dot refused");
	ok(!cc_hostname_valid("a..b"), "empty label refused");
	ok(!cc_hostname_valid("a-.b"), "label ending in '-' refused");
	memset(h, 'a', 64);
	h[64] = '\0';
	ok(!cc_hostname_valid(h), "64-character label refused");
	h[63] = '\0';
	ok(cc_hostname_valid(h), "63-character label accepted");
	/* 253 characters: four labels of 63 with dots = 255, so 62+1+... */
	memset(h, 'b', 253);
	h[253] = '\0';
	for (int i = 50; i < 253; i += 51)
		h[i] = '.';
	ok(cc_hostname_valid(h), "253-character host name accepted");
	ok(proto_ipv4_valid("192.0.2.255"), "dotted quad");
	ok(!proto_ipv4_valid("0.0.0.0"), "unspecified address refused");
	ok(!proto_ipv4_valid("1.2.3.4 "), "trailing space refused");
	ok(!proto_ipv4_valid("1.2.3.4.5"), "five parts refused");
	ok(!proto_ipv4_valid("1..3.4"), "empty part refused");
	ok(proto_rfc3339_valid("2026-01-02T03:04:05Z"), "RFC 3339 Z");
	ok(!proto_rfc3339_valid("2026-13-02T03:04:05Z"), "month 13 refused");
	ok(!proto_rfc3339_valid("2026-01-02T03:04:05"), "missing offset refused");
}

static void test_framing(void)
{
	const char *req = "{" BASE ",\"OS\":\"linux { } \\\" tricky\"}";
	char buf[1024];
	struct framer f;
	int st;

	/* One byte at a time: the end of the object ends the request with
	 * no EOF needed. */
	st = frame_all(req, strlen(req), 1, LIMIT, &f);
	is_int(st, FRAME_DONE, "byte-by-byte request completes at the closing brace");
	is_int(f.total, strlen(req), "all bytes counted");
	framer_free(&f);

	snprintf(buf, sizeof buf, "  \r\n\t%s \n\r\t ", req);
	st = frame_all(buf, strlen(buf), 3, LIMIT, &f);
	is_int(st, FRAME_DONE, "whitespace before and after the object is ignored");
	framer_free(&f);

	framer_init(&f, LIMIT);
	framer_feed(&f, "{\"Hostname\"", 11);
	is_int(f.state, FRAME_MORE, "a partial object waits for more");
	{
		const char *rest = ":\"h\",\"Role\":\"worker\",\"IP\":\"192.0.2.1\"}";
		framer_feed(&f, rest, strlen(rest));
	}
	is_int(f.state, FRAME_DONE, "the rest completes it");
	framer_feed(&f, " \n", 2);
	is_int(f.state, FRAME_DONE, "whitespace arriving later is ignored");
	framer_feed(&f, "x", 1);
	is_int(f.state, FRAME_ERROR, "any other byte arriving later makes it invalid");
	framer_free(&f);

	/* Size limit: an object that needs more than `limit` bytes. */
	{
		size_t n = 70000;
		char *big = malloc(n + 64);
		memcpy(big, "{\"OS\":\"", 7);
		memset(big + 7, 'x', n);
		strcpy(big + 7 + n, "\"}");
		st = frame_all(big, strlen(big), 4096, LIMIT, &f);
		is_int(st, FRAME_ERROR, "oversize request refused");
		like(f.err, "larger than 65536 bytes", "oversize error names the limit");
		ok(f.total <= LIMIT, "never accepted more than the limit (%zu)", f.total);
		framer_free(&f);
		st = frame_all(big, strlen(big), strlen(big), LIMIT, &f);
		is_int(st, FRAME_ERROR, "oversize request in one read refused");
		framer_free(&f);
		/* Exactly at the limit is fine, whitespace beyond it too. */
		memset(big, ' ', n);
		memcpy(big + LIMIT - 2, "{}", 2);
		big[LIMIT + 100] = '\0';
		st = frame_all(big, LIMIT + 100, 1000, LIMIT, &f);
		is_int(st, FRAME_DONE, "an object ending exactly at the limit is accepted");
		framer_free(&f);
		memset(big, ' ', LIMIT + 10);
		st = frame_all(big, LIMIT + 10, 1000, LIMIT, &f);
		is_int(st, FRAME_ERROR, "endless whitespace hits the limit");
		free(big);
		framer_free(&f);
	}
	framer_init(&f, LIMIT);
	framer_feed(&f, "{\"a\":\"\0\"}", 9);
	is_int(f.state, FRAME_ERROR, "raw NUL byte refused");
	framer_free(&f);
	framer_init(&f, LIMIT);
	framer_feed(&f, "{\"a\":\"\xff\xfe\"}", 10);
	is_int(f.state, FRAME_ERROR, "invalid UTF-8 refused");
	framer_free(&f);
	/* A client may send its bytes in any pieces (protocol.md): a UTF-8
	 * character cut between two reads is still one character (json-c
	 * alone refused the halves; found by tests/fuzz/fuzz-protocol). */
	{
		const char *utf = "{" BASE ",\"OS\":\"D\xc3\xa9" "bian \xe2\x82\xac \xf0\x9f\x98\x80\"}";
		int all_done = 1;
		for (size_t piece = 1; piece <= 5; piece++) {
			all_done &= frame_all(utf, strlen(utf), piece, LIMIT, &f) == FRAME_DONE;
			framer_free(&f);
		}
		ok(all_done, "2-, 3- and 4-byte UTF-8 characters cut at every byte are accepted");
		framer_init(&f, LIMIT);
		framer_feed(&f, "{\"OS\":\"\xf0\x9f", 9);
		framer_feed(&f, "\x98", 1);
		is_int(f.state, FRAME_MORE, "a character cut twice waits for its last byte");
		framer_feed(&f, "\x80\"}", 3);
		is_int(f.state, FRAME_DONE, "and completes with it");
		framer_free(&f);
		framer_init(&f, LIMIT);
		framer_feed(&f, "{\"OS\":\"\xc3", 8);
		framer_feed(&f, "x\"}", 3);
		is_int(f.state, FRAME_ERROR, "a cut character continued by a non-continuation byte is refused");
		like(f.err, "invalid utf-8", "as invalid UTF-8");
		framer_free(&f);
		framer_init(&f, LIMIT);
		framer_feed(&f, "{\"OS\":\"\xe2\x82", 9);
		is_int(framer_eof(&f), FRAME_ERROR, "EOF inside a cut character is an error");
		framer_free(&f);
	}
	/* "1-2" is not a number, whole or cut after the 1 (json-c alone took
	 * the cut one for 1; found by tests/fuzz/fuzz-protocol). */
	{
		const char *bad = "{" BASE ",\"CPU\":1-2}";
		size_t at = strchr(bad, '-') - bad;
		int refused = 1;
		framer_init(&f, LIMIT);
		framer_feed(&f, bad, strlen(bad));
		is_int(f.state, FRAME_ERROR, "a malformed number is refused");
		framer_free(&f);
		for (size_t cut = 1; cut < strlen(bad); cut++) {
			framer_init(&f, LIMIT);
			framer_feed(&f, bad, cut);
			framer_feed(&f, bad + cut, strlen(bad) - cut);
			refused &= f.state == FRAME_ERROR;
			framer_free(&f);
		}
		ok(refused, "and refused wherever the request is cut, right before the '-' (byte %zu) too", at);
	}
	framer_init(&f, LIMIT);
	framer_feed(&f, "{\"a\":", 5);
	is_int(framer_eof(&f), FRAME_ERROR, "EOF inside the object is an error");
	like(f.err, "closed before the object was complete", "and says so");
	framer_free(&f);
}

static void test_encoding(void)
{
	struct response r = {0};
	struct json_object *o, *v;
	char *s;
	size_t len;

	r.status = PROTO_READY;
	r.swarm_role = PROTO_ROLE_MANAGER;
	r.swarm_join_token = "SWMTKN-1-abc";
	r.swarm_manager_addr = "10.0.0.1:2377";
	r.overlay_type = "none";
	r.overlay_payload = "{\"k\":1}";
	r.gluster_enabled = true;
	r.gluster_volume = "gv0";
	r.gluster_mount = "/mnt/gv0";
	r.gluster_brick = "";
	r.storage_payload = "{\"s\":2}";
	r.have_counts = true;
	r.registered_managers = 1;
	r.registered_workers = 2;
	r.message = "line1\n\"quoted\"";
	s = protocol_encode_response(&r, &len);
	ok(s && len == strlen(s) && s[len - 1] == '\n',
	   "ready response is one line ending in a newline");
	ok(strchr(s, '\n') == s + len - 1, "no newline inside the JSON");
	o = json_tokener_parse(s);
	ok(o != NULL, "ready response is valid JSON");
	ok(json_object_object_get_ex(o, "Status", &v) && strcmp(json_object_get_string(v), "ready") == 0,
	   "Status ready");
	ok(json_object_object_get_ex(o, "SwarmRole", &v) && strcmp(json_object_get_string(v), "manager") == 0,
	   "SwarmRole");
	ok(json_object_object_get_ex(o, "SwarmJoinToken", &v), "SwarmJoinToken present on ready");
	ok(json_object_object_get_ex(o, "SwarmManagerAddr", &v), "SwarmManagerAddr");
	ok(json_object_object_get_ex(o, "OverlayPayload", &v) && json_object_is_type(v, json_type_object),
	   "OverlayPayload object");
	ok(json_object_object_get_ex(o, "GlusterEnabled", &v) && json_object_get_boolean(v), "GlusterEnabled");
	ok(json_object_object_get_ex(o, "GlusterVolume", &v), "GlusterVolume");
	ok(json_object_object_get_ex(o, "GlusterMount", &v), "GlusterMount");
	ok(json_object_object_get_ex(o, "GlusterBrick", &v) && !*json_object_get_string(v), "GlusterBrick \"\"");
	ok(json_object_object_get_ex(o, "StoragePayload", &v), "StoragePayload extension");
	ok(json_object_object_get_ex(o, "Message", &v) &&
		   strcmp(json_object_get_string(v), "line1\n\"quoted\"") == 0,
	   "Message escaped and round-trips");
	ok(!json_object_object_get_ex(o, "MinManagers", &v), "no thresholds on ready");
	json_object_put(o);
	free(s);

	r.status = PROTO_WAITING;
	r.min_managers = 3;
	r.min_workers = 4;
	r.retry_after = 5;
	s = protocol_encode_response(&r, NULL);
	o = json_tokener_parse(s);
	ok(o && !strstr(s, "SWMTKN") && !json_object_object_get_ex(o, "SwarmJoinToken", NULL) &&
		   !json_object_object_get_ex(o, "OverlayPayload", NULL) &&
		   !json_object_object_get_ex(o, "StoragePayload", NULL),
	   "waiting carries no token, overlay or storage instructions");
	ok(json_object_object_get_ex(o, "MinManagers", &v) && json_object_get_int(v) == 3, "MinManagers");
	ok(json_object_object_get_ex(o, "MinWorkers", &v) && json_object_get_int(v) == 4, "MinWorkers");
	ok(json_object_object_get_ex(o, "RegisteredManagers", &v) && json_object_get_int(v) == 1,
	   "RegisteredManagers");
	ok(json_object_object_get_ex(o, "RegisteredWorkers", &v) && json_object_get_int(v) == 2,
	   "RegisteredWorkers");
	ok(json_object_object_get_ex(o, "RetryAfter", &v) && json_object_get_int(v) == 5, "RetryAfter");
	json_object_put(o);
	free(s);

	r.status = PROTO_ERROR;
	r.error = "bad \\ thing";
	s = protocol_encode_response(&r, NULL);
	o = json_tokener_parse(s);
	ok(o && !strstr(s, "SWMTKN") && json_object_object_get_ex(o, "Error", &v) &&
		   strcmp(json_object_get_string(v), "bad \\ thing") == 0,
	   "error carries Error and no token");
	json_object_put(o);
	free(s);
	s = protocol_encode_error("x\x01y", NULL);
	is_str(s, "{\"Status\":\"error\",\"Error\":\"x\\u0001y\"}\n", "control characters escaped");
	free(s);
}

/* Bounded before authentication (issue 11, item 4): the framer holds
 * nothing but bytes until the object is complete, and a request may not
 * hold more values or levels than a registration could need. */
static void test_preauth_bounds(void)
{
	struct cc_buf b = CC_BUF_INIT;
	struct framer f;
	int st;

	/* The JSON that made json-c's tree 17 MB for 64 KiB. */
	cc_buf_puts(&b, "{\"a\":[");
	for (int i = 0; i < 3000; i++)
		cc_buf_puts(&b, "{},");
	st = frame_all(b.buf, b.len, 1000, LIMIT, &f);
	is_int(st, FRAME_ERROR, "a request of more than 4,096 values is refused");
	is_str(f.err, "request holds more than 4096 JSON values (near byte 6147); a registration needs far fewer",
	       "at the value past the cap, with its place");
	framer_free(&f);
	cc_buf_free(&b);

	cc_buf_puts(&b, "{\"a\":\"");
	for (int i = 0; i < 3000; i++)
		cc_buf_puts(&b, "{},[");
	cc_buf_puts(&b, "\"}");
	st = frame_all(b.buf, b.len, 7, LIMIT, &f);
	is_int(st, FRAME_DONE, "brackets and commas inside a string are no values");
	framer_free(&f);
	cc_buf_free(&b);

	cc_buf_puts(&b, "{\"a\":\"\\\"{[\\\\\",\"b\":1}");
	st = frame_all(b.buf, b.len, 1, LIMIT, &f);
	is_int(st, FRAME_DONE, "an escaped quote does not end a string, an escaped backslash does not escape");
	framer_free(&f);
	cc_buf_free(&b);

	for (int i = 0; i < 33; i++)
		cc_buf_puts(&b, i ? "[" : "{\"a\":");
	st = frame_all(b.buf, b.len, 5, LIMIT, &f);
	is_int(st, FRAME_ERROR, "33 levels of nesting are refused as they arrive");
	is_str(f.err, "request is not valid JSON: nesting too deep (more than 32 levels; near byte 36)",
	       "naming the limit");
	framer_free(&f);
	cc_buf_free(&b);

	/* Unfinished: bytes only, and never more than the size limit. */
	cc_buf_puts(&b, "{\"a\":[");
	for (int i = 0; i < 2000; i++)
		cc_buf_puts(&b, "{},");
	st = frame_all(b.buf, b.len, 4096, LIMIT, &f);
	is_int(st, FRAME_MORE, "an unfinished request under the caps waits");
	ok(f.obj == NULL && f.cap_seen <= 8192, "holding only its %zu bytes (buffer %zu), no JSON tree", f.nseen,
	   f.cap_seen);
	framer_free(&f);
	cc_buf_free(&b);
}

int main(void)
{
	test_full_registration();
	test_version2();
	test_remove();
	test_minimal_and_case();
	test_invalid();
	test_validators();
	test_framing();
	test_preauth_bounds();
	test_encoding();
	return done_testing();
}
