/* issue 12 items 3 and 5: what a heartbeat carries about a node's
 * providers (a bounded summary of their status()), and what the
 * controller keeps from it: the node's version, protocol and health, and
 * the cluster's stale nodes and quorum. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../tap.h"
#include "cc-buf.h"
#include "node-health.h"

static void test_summary(void)
{
	const char *wg = "{\"Provider\":\"wireguard\",\"Interface\":\"wg0\",\"Up\":true,\"MTU\":1420,"
			 "\"Address\":\"100.96.0.2/16\",\"Nested\":{\"x\":1},\"bad key\":1,"
			 "\"Peers\":[{\"PublicKey\":\"a\",\"HandshakeAgeSeconds\":12},"
			 "{\"PublicKey\":\"b\",\"HandshakeAgeSeconds\":3},"
			 "{\"PublicKey\":\"c\",\"HandshakeAgeSeconds\":null}]}";
	char *s = health_summary(wg);
	json_object *o = s ? json_tokener_parse(s) : NULL, *v;

	ok(o != NULL, "a status object is summarised into a JSON object (%s)", s ? s : "NULL");
	ok(json_object_object_get_ex(o, "MTU", &v) && json_object_get_int(v) == 1420, "scalars are kept: the tunnel MTU");
	ok(json_object_object_get_ex(o, "Address", &v) && strcmp(json_object_get_string(v), "100.96.0.2/16") == 0,
	   "and the address");
	ok(json_object_object_get_ex(o, "PeersCount", &v) && json_object_get_int(v) == 3,
	   "an array of peers becomes its count, never the list");
	ok(json_object_object_get_ex(o, "PeersNewestHandshakeAgeSeconds", &v) && json_object_get_int(v) == 3,
	   "the newest handshake age");
	ok(json_object_object_get_ex(o, "PeersOldestHandshakeAgeSeconds", &v) && json_object_get_int(v) == 12,
	   "the oldest handshake age");
	ok(json_object_object_get_ex(o, "PeersWithoutHandshakeAgeSeconds", &v) && json_object_get_int(v) == 1,
	   "peers that never completed a handshake are counted");
	ok(!json_object_object_get_ex(o, "Nested", NULL) && !json_object_object_get_ex(o, "bad key", NULL),
	   "nested objects and odd names are dropped");
	json_object_put(o);
	free(s);

	{
		/* 10,000 peers: the summary stays the same size. */
		struct cc_buf sb = CC_BUF_INIT;
		cc_buf_puts(&sb, "{\"Peers\":[");
		for (int i = 0; i < 10000; i++)
			cc_buf_printf(&sb, "%s{\"PublicKey\":\"k%d\",\"HandshakeAgeSeconds\":%d}", i ? "," : "", i, i);
		cc_buf_puts(&sb, "]}");
		s = health_summary(sb.buf);
		ok(s && strlen(s) < 200, "10,000 peers summarise into %zu bytes", s ? strlen(s) : 0);
		free(s);
		cc_buf_free(&sb);
	}
	ok(health_summary("[1]") == NULL, "a status that is not an object gives no summary");
	ok(health_summary("{") == NULL, "nor does broken JSON");
}

static void test_table(void)
{
	struct node_health *h = node_health_new();
	struct registration reg = {.clusterctl_version = "0.2.0", .protocol_version = 2,
				   .health_overlay = "{\"MTU\":1420}", .health_storage = "{\"Mounted\":true}"};
	struct cc_buf sb = CC_BUF_INIT;
	const struct node_health_entry *e;

	ok(node_health_note(h, "id:a", NULL, &reg) == 0, "a heartbeat is noted");
	e = node_health_find(h, "id:a");
	ok(e && strcmp(e->version, "0.2.0") == 0 && e->protocol == 2, "with the node's version and protocol");
	node_health_append(h, &sb, "id:a", 1000000, 1000000 + 95000, 90000);
	like(sb.buf, "\"LastSeenAgeSeconds\":95,\"Stale\":true", "95 s after its last registration, stale past 90 s");
	like(sb.buf, "\"ClusterctlVersion\":\"0.2.0\",\"ProtocolVersion\":2", "the status answer says who runs what");
	like(sb.buf, "\"Health\":{\"Overlay\":{\"MTU\":1420},\"Storage\":{\"Mounted\":true}}", "and the providers' health");
	cc_buf_free(&sb);
	node_health_append(h, &sb, "host:b", 1000000, 1000000 + 30000, 90000);
	is_str(sb.buf, ",\"LastSeenAgeSeconds\":30,\"Stale\":false", "a node not heard from since a restart: age only");
	cc_buf_free(&sb);

	reg.clusterctl_version = "0.3.0";
	reg.health_storage = NULL;
	node_health_note(h, "id:c", "id:a", &reg);
	ok(!node_health_find(h, "id:a") && node_health_find(h, "id:c"), "a node that changed its key keeps one entry");
	e = node_health_find(h, "id:c");
	ok(e && !e->storage, "and what it no longer sends is gone");
	for (int i = 0; i < 1000; i++) {
		char k[32];
		snprintf(k, sizeof k, "id:n%d", i);
		node_health_note(h, k, NULL, &reg);
	}
	ok(node_health_find(h, "id:n999") && node_health_find(h, "id:n0"), "a thousand nodes are all found");
	node_health_forget(h, "id:n0");
	ok(!node_health_find(h, "id:n0"), "a forgotten node is gone");
	node_health_free(h);
}

int main(void)
{
	test_summary();
	test_table();
	return done_testing();
}
