/* The tailscale plugin's JSON (plugins/overlay/tailscale/tailscale-json.c):
 * tailscaled's LocalAPI /status reply, the master's --overlay-config and
 * the OverlayPayload, and Observed.Overlay.
 *
 * What must hold: a reply is read or refused with a message; every
 * string that comes out is bounded and free of control bytes, an address
 * is IPv4; options survive the payload the controller builds from them;
 * the /start body the plugin sends is one JSON object. */
#include <string.h>

#include "cc-net.h"
#include "fuzz.h"
#include "plugin-json.h"
#include "tailscale-json.h"

static void status(const char *body, size_t len)
{
	struct ts_status st;
	char *err = NULL;

	if (ts_status_parse(body, len, &st, &err) < 0) {
		fuzz_require(err && fuzz_clean_or_null(err, 4096), "a refused reply has a clean message");
		free(err);
		return;
	}
	fuzz_require(fuzz_clean_or_null(st.backend_state, sizeof st.backend_state - 1), "BackendState is clean");
	fuzz_require(!st.ipv4[0] || cc_ipv4_valid(st.ipv4), "the address is IPv4");
	fuzz_require(fuzz_clean_or_null(st.host_name, TS_MAX_HOSTNAME + 3) && fuzz_clean_or_null(st.dns_name, TS_MAX_HOSTNAME + 3) &&
			     fuzz_clean_or_null(st.version, 64 + 3),
		     "names are bounded and clean");
	fuzz_require(fuzz_clean_or_null(st.login_error, TS_MAX_QUOTE + 13) && fuzz_clean_or_null(st.health, TS_MAX_QUOTE * 2),
		     "health texts are bounded and clean");
	fuzz_require(ts_state_name(st.state) != NULL, "the state has a name");
	ts_status_free(&st);
}

static void options(const char *json, bool strict)
{
	struct ts_options o, back;
	char *err = NULL, *payload, *body;
	json_object *b;

	if (ts_options_parse(json, strict, &o, &err) < 0) {
		fuzz_require(!o.auth_key && !o.control_url && !o.hostname, "a refusal keeps nothing");
		free(err);
		return;
	}
	payload = ts_payload_build(&o, "node-1");
	fuzz_require(payload && ts_options_parse(payload, false, &back, &err) == 0, "the payload reads back");
	fuzz_require(fuzz_same(back.auth_key, o.auth_key) && fuzz_same(back.control_url, o.control_url) &&
			     fuzz_same(back.hostname, "node-1"),
		     "with the same options");
	body = ts_start_body(&o, back.hostname);
	b = body ? json_tokener_parse(body) : NULL;
	fuzz_require(b && json_object_is_type(b, json_type_object), "the /start body is a JSON object");
	json_object_put(b);
	cp_wipe_free(body);
	cp_wipe_free(payload);
	ts_options_free(&back);
	ts_options_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_memdup(data, size), *text = fuzz_strdup(data, size), *addr;

	status(body, size);
	options(text, true);
	options(text, false);
	addr = ts_observed_address(text);
	fuzz_require(!addr || cc_ipv4_valid(addr), "an observed address is IPv4");
	free(addr);
	free(body);
	free(text);
	return 0;
}
