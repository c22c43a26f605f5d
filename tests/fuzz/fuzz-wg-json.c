/* The wireguard plugin's JSON (plugins/overlay/wireguard/wg-json.c): the
 * OverlayPayload a node reads from the controller, the record the
 * controller keeps per node, and the Observed.Overlay a node reports.
 *
 * What must hold: a document is read or refused with a message; an
 * accepted payload keeps the node inside the overlay (address in
 * 100.64.0.0/10, peers routing only overlay addresses, no key twice);
 * what the plugin writes (wg_payload_format, wg_record_format) reads
 * back to the same thing. */
#include <string.h>
#include <sys/socket.h>

#include "cc-net.h"
#include "fuzz.h"
#include "wg.h"

static void payload(const char *json)
{
	struct wg_payload p, q;
	char *err = NULL, *text, *again;

	if (wg_payload_parse(json, &p, &err) < 0) {
		fuzz_require(err && *err, "a refused payload has a message");
		free(err);
		return;
	}
	fuzz_require(wg_valid_ifname(p.ifname), "the interface name is valid");
	fuzz_require(cc_ipv4_in_net(p.address, WG_CGNAT_NET, WG_CGNAT_PREFIX) && p.plen >= WG_CGNAT_PREFIX &&
			     p.plen <= 30,
		     "the address lies in 100.64.0.0/10");
	fuzz_require(p.listen_port >= 1 && p.mtu >= WG_MTU_MIN && p.mtu <= WG_MTU_MAX, "port and MTU in range");
	fuzz_require(p.n_peers <= WG_MAX_PEERS, "peers within the bound");
	for (size_t i = 0; i < p.n_peers; i++) {
		const struct wg_peer *pe = &p.peers[i];
		struct wg_device d = {.peers = p.peers, .n_peers = p.n_peers};
		fuzz_require(wg_device_find_peer(&d, pe->public_key) == pe, "no key twice");
		fuzz_require(pe->n_allowed <= WG_MAX_ALLOWED_IPS, "allowed IPs within the bound");
		for (size_t j = 0; j < pe->n_allowed; j++)
			fuzz_require(pe->allowed[j].family == AF_INET && pe->allowed[j].cidr >= p.plen &&
					     cc_ipv4_in_net(pe->allowed[j].addr.v4, p.address, p.plen),
				     "a peer routes only overlay addresses");
	}
	text = wg_payload_format(&p);
	fuzz_require(text != NULL, "a payload is written");
	if (wg_payload_parse(text, &q, &err) < 0)
		fuzz_fail(__FILE__, __LINE__, err ? err : "a written payload does not read back");
	again = wg_payload_format(&q);
	fuzz_require(again && strcmp(again, text) == 0, "a written payload reads back the same");
	free(again);
	free(text);
	wg_payload_free(&q);
	wg_payload_free(&p);
}

static void record(const char *json)
{
	struct wg_record r, back;
	char *err = NULL, *text;

	if (wg_record_parse(json, &r, &err) < 0) {
		fuzz_require(err && *err, "a refused record has a message");
		free(err);
		return;
	}
	text = wg_record_format(&r);
	fuzz_require(text != NULL, "a record is written");
	if (wg_record_parse(text, &back, &err) < 0)
		fuzz_fail(__FILE__, __LINE__, err ? err : "a written record does not read back");
	fuzz_require(back.address == r.address && back.has_key == r.has_key &&
			     (!r.has_key || memcmp(back.public_key, r.public_key, WG_KEY_LEN) == 0) &&
			     back.master == r.master,
		     "a written record reads back the same");
	/* An endpoint is an address and a port, or none. */
	if (r.endpoint_ip && r.listen_port)
		fuzz_require(back.endpoint_ip == r.endpoint_ip && back.listen_port == r.listen_port,
			     "the endpoint reads back the same");
	free(text);
}

static void observed(const char *json)
{
	struct wg_observed o;
	char *err = NULL;

	if (wg_observed_parse(json, &o, &err) < 0) {
		fuzz_require(err && *err, "a refused Observed.Overlay has a message");
		free(err);
		return;
	}
	fuzz_require(!o.has_key || !wg_key_is_zero(o.public_key), "a reported key is not all zero");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = fuzz_strdup(data, size);

	payload(json);
	record(json);
	observed(json);
	free(json);
	return 0;
}
