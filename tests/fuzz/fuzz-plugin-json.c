/* The plugins' shared reading and quoting of text they did not write
 * (plugins/common/plugin-json.c): a daemon's JSON reply, the master's
 * --overlay-config, an OverlayPayload, Observed.Overlay, and daemon text
 * quoted back to a person.
 *
 * What must hold: one JSON value or a refusal with a message, and what
 * was read renders to text that reads back; quoted text is bounded,
 * holds no control bytes and never the secret it was told to hide;
 * options hold only values their kind allows, and a payload built from
 * them reads back the same; an observed address is a real IPv4 address. */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "cc-net.h"
#include "fuzz.h"
#include "plugin-json.h"

#define SECRET "k3y5ecretT0ken42"

static void json_value(const char *buf, size_t len)
{
	json_object *a = NULL, *back;
	char *err = NULL, *text;

	if (cp_json_parse(buf, len, 16, "reply", &a, &err) < 0) {
		fuzz_require(err && fuzz_clean(err), "a refusal has a clean message");
		free(err);
		return;
	}
	/* Only that it reads back: the plugins render what they built, never
	 * what they read, and json-c's rendering of numbers is its own ("1e"
	 * reads as a double and renders as "1"). */
	text = cp_json_render(a);
	fuzz_require(text != NULL, "a value renders");
	fuzz_require(cp_json_parse(text, strlen(text), 17, "rendered", &back, &err) == 0,
		     "a rendered value reads back");
	json_object_put(back);
	free(text);
}

static void quoting(const char *buf, size_t len)
{
	bool printable = true;
	char *q;

	for (size_t i = 0; i < len; i++)
		printable &= (unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f;
	for (size_t max = 0; max <= 64; max += 16) {
		q = cp_sanitize(buf, len, max, SECRET);
		fuzz_require(q && strlen(q) <= max + strlen("[redacted]") + strlen("..."),
			     "a quote is bounded");
		fuzz_require(fuzz_clean(q), "a quote holds no control bytes");
		if (printable)
			fuzz_require(!strstr(q, SECRET), "a quote never shows the secret");
		free(q);
	}
	q = cp_quote(buf, len, SECRET, "(nothing)");
	fuzz_require(q && *q && fuzz_clean(q) && strlen(q) <= CP_MAX_QUOTE + 13, "a quote is bounded and clean");
	free(q);
}

static void options(const char *json, bool strict)
{
	char *secret, *url, *host, *err = NULL;
	const struct cp_option opts[] = {
		{"AuthKey", CP_OPTION_SECRET, 512, false, &secret},
		{"ControlURL", CP_OPTION_URL, 1024, false, &url},
		{"Hostname", CP_OPTION_HOSTNAME, 253, true, &host},
	};
	static const char *const keys[] = {"AuthKey", "ControlURL", "Hostname"};
	char *again[3], *payload;
	const struct cp_option opts2[] = {
		{"AuthKey", CP_OPTION_SECRET, 512, false, &again[0]},
		{"ControlURL", CP_OPTION_URL, 1024, false, &again[1]},
		{"Hostname", CP_OPTION_HOSTNAME, 253, true, &again[2]},
	};

	if (cp_options_parse(json, strict, "options", opts, 3, &err) < 0) {
		fuzz_require(!secret && !url && !host, "a refusal keeps nothing");
		fuzz_require(!err || fuzz_clean(err), "a refusal's message is clean");
		free(err);
		return;
	}
	fuzz_require(!secret || cp_token_valid(secret, strlen(secret), 512), "a secret is a token");
	fuzz_require(!url || cp_url_valid(url, strlen(url), 1024), "a URL is a URL");
	fuzz_require(!host || (!strict && cc_hostname_valid(host)), "a hostname is a payload's, and valid");
	{
		const char *vals[] = {secret, url, host};
		payload = cp_payload_build(keys, vals, 3);
	}
	fuzz_require(payload != NULL, "a payload is built");
	fuzz_require(cp_options_parse(payload, false, "payload", opts2, 3, &err) == 0, "the payload reads back");
	for (int i = 0; i < 3; i++) {
		const char *want = i == 0 ? secret : i == 1 ? url : host;
		fuzz_require(want ? again[i] && strcmp(again[i], want) == 0 : !again[i], "the same values");
		free(again[i]);
	}
	cp_wipe_free(payload);
	cp_wipe_free(secret);
	free(url);
	free(host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size), *text = fuzz_strdup(data, size), *addr;
	struct in_addr a;

	json_value(buf, size);
	quoting(buf, size);
	options(text, true);
	options(text, false);
	addr = cp_observed_address(text);
	fuzz_require(!addr || (cc_ipv4_valid(addr) && inet_pton(AF_INET, addr, &a) == 1),
		     "an observed address is IPv4");
	free(addr);
	if (size < 300) {
		fuzz_require(!cc_ipv4_valid(text) || inet_pton(AF_INET, text, &a) == 1, "cp_ipv4_valid agrees with inet_pton");
		fuzz_require(!cc_hostname_valid(text) || (*text && strlen(text) <= CC_HOSTNAME_MAX),
			     "a valid hostname has 1-253 characters");
	}
	free(buf);
	free(text);
	return 0;
}
