/* What a node accepts from the controller (OverlayPayload), and the
 * record / Observed documents: every field checked, anything that could
 * pull foreign traffic into the tunnel refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "wg.h"

#define K1 "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="
#define K2 "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
#define PEER(key, ips) "{\"PublicKey\":\"" key "\",\"Endpoint\":\"198.51.100.11:51820\",\"AllowedIPs\":[" ips "],\"PersistentKeepalive\":25}"
#define PAYLOAD(iface, addr, port, mtu, peers)                                                     \
	"{\"Interface\":\"" iface "\",\"Address\":\"" addr "\",\"ListenPort\":" port ",\"MTU\":" mtu  \
	",\"Peers\":[" peers "]}"

static int parse(const char *json, struct wg_payload *p, char **err)
{
	free(*err);
	*err = NULL;
	wg_payload_free(p);
	return wg_payload_parse(json, p, err);
}

int main(void)
{
	struct wg_payload p = {0};
	char *err = NULL, *again;
	struct wg_record rec;
	struct wg_observed ob;

	plan(32);
	is_int(parse(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420", PEER(K1, "\"100.96.0.1/32\"")), &p, &err), 0,
	       "a well-formed payload is accepted");
	ok(!strcmp(p.ifname, "wg0") && p.address == 0x64600002u && p.plen == 16 && p.listen_port == 51820 &&
		   p.mtu == 1420 && p.n_peers == 1 && p.peers[0].keepalive == 25 && p.peers[0].endpoint.port == 51820,
	   "every field read");
	again = wg_payload_format(&p);
	is_str(again, PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420", PEER(K1, "\"100.96.0.1/32\"")),
	       "formatting gives the same text back (no escaped slashes)");
	free(again);
	is_int(parse(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420", ""), &p, &err), 0, "no peers is fine");

#define REFUSE(json, needle, name)                                                                 \
	do {                                                                                       \
		int r_ = parse(json, &p, &err);                                                    \
		ok(r_ == -EINVAL && err && strstr(err, needle), name);                             \
		if (r_ != -EINVAL || !err || !strstr(err, needle))                                 \
			diag("r=%d err=%s", r_, err ? err : "(none)");                             \
	} while (0)
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420", PEER(K1, "\"0.0.0.0/0\"")), "outside",
	       "AllowedIPs 0.0.0.0/0 refused (would hijack all traffic)");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420", PEER(K1, "\"192.168.1.0/24\"")), "outside",
	       "AllowedIPs on a LAN refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420", PEER(K1, "\"100.0.0.0/8\"")), "outside",
	       "AllowedIPs wider than the overlay refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420", PEER(K1, "\"100.96.0.1/24\"")), "host bits",
	       "AllowedIPs with host bits refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420", PEER(K1, "")), "AllowedIPs",
	       "empty AllowedIPs refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420", PEER("AAAA", "\"100.96.0.1/32\"")), "PublicKey",
	       "a short key refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420",
		       PEER("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "\"100.96.0.1/32\"")),
	       "all-zero", "the all-zero key refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420",
		       PEER(K1, "\"100.96.0.1/32\"") "," PEER(K1, "\"100.96.0.3/32\"")),
	       "repeats", "a repeated peer refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420",
		       "{\"PublicKey\":\"" K2 "\",\"Endpoint\":\"198.51.100.11:0\",\"AllowedIPs\":[\"100.96.0.1/32\"]}"),
	       "Endpoint", "endpoint port 0 refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420",
		       "{\"PublicKey\":\"" K2 "\",\"Endpoint\":\"host.example:51820\",\"AllowedIPs\":[\"100.96.0.1/32\"]}"),
	       "Endpoint", "a host name endpoint refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420",
		       "{\"PublicKey\":\"" K2 "\",\"AllowedIPs\":[\"100.96.0.1/32\"],\"PersistentKeepalive\":-1}"),
	       "PersistentKeepalive", "negative keepalive refused");
	REFUSE(PAYLOAD("wg0", "10.0.0.2/16", "51820", "1420", ""), "100.64.0.0/10", "address outside CGNAT refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.0/16", "51820", "1420", ""), "network", "the network address refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/31", "51820", "1420", ""), "prefix", "prefix /31 refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2", "51820", "1420", ""), "Address", "address without prefix refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "0", "1420", ""), "ListenPort", "listen port 0 refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "\"51820\"", "1420", ""), "ListenPort", "port as a string refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "100", ""), "MTU", "MTU 100 refused");
	REFUSE(PAYLOAD("wg0-far-too-long-name", "100.96.0.2/16", "51820", "1420", ""), "Interface",
	       "a 21-character interface name refused");
	REFUSE(PAYLOAD("../x", "100.96.0.2/16", "51820", "1420", ""), "Interface", "a path as interface name refused");
	REFUSE(PAYLOAD("wg0", "100.96.0.2/16", "51820", "1420", "") "x", "JSON", "trailing bytes refused");
	REFUSE("[1]", "object", "a non-object refused");
	free(err); /* the parsers set *err, they do not free what it held */
	err = NULL;

	ok(wg_record_parse("{\"Address\":\"100.96.0.2\",\"PublicKey\":\"" K1 "\",\"Endpoint\":\"198.51.100.12:51820\"}",
			   &rec, &err) == 0 &&
		   rec.address == 0x64600002u && rec.has_key && rec.endpoint_ip == 0xc633640cu && rec.listen_port == 51820,
	   "record parsed");
	ok(wg_observed_parse("{\"PublicKey\":\"" K1 "\",\"ListenPort\":51821,\"Address\":\"100.96.0.2\",\"MTU\":1420}",
			     &ob, &err) == 0 &&
		   ob.has_key && ob.listen_port == 51821 && ob.address == 0x64600002u,
	   "Observed.Overlay parsed");
	free(err);
	err = NULL;
	ok(wg_observed_parse("{\"Address\":\"1.2.3\"}", &ob, &err) == -EINVAL && err, "Observed with a bad address refused");
	free(err);
	err = NULL;
	ok(wg_observed_parse("{\"UnderlayIP\":\"198.51.100.12\"}", &ob, &err) == 0 && ob.underlay_ip == 0xc633640cu,
	   "Observed UnderlayIP parsed");
	ok(wg_observed_parse("{\"UnderlayIP\":\"198.51.100.12:51820\"}", &ob, &err) == -EINVAL && err &&
		   strstr(err, "UnderlayIP"),
	   "an UnderlayIP that is not a bare IPv4 address is refused");
	free(err);
	err = NULL;
	ok(wg_observed_parse("{\"UnderlayIP\":7}", &ob, &err) == -EINVAL && err, "a non-string UnderlayIP is refused");
	wg_payload_free(&p);
	free(err);
	return done_testing();
}
