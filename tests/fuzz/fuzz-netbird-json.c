/* The netbird plugin's parsing (plugins/overlay/netbird/netbird-json.c):
 * what `netbird status --json` prints (JSON, or the text of CLIs before
 * v0.67), the CLI's error text, the master's --overlay-config and the
 * OverlayPayload, and Observed.Overlay.
 *
 * What must hold: output is read or refused with a message; every string
 * that comes out is bounded and free of control bytes, an address is
 * IPv4 with a prefix of 1-32; options survive the payload the controller
 * builds from them. */
#include <string.h>

#include "cc-net.h"
#include "fuzz.h"
#include "netbird-json.h"
#include "plugin-json.h"

static void status(const char *out, size_t len)
{
	struct nb_status st;
	char *err = NULL;

	if (nb_status_parse(out, len, &st, &err) < 0) {
		fuzz_require(err && fuzz_clean_or_null(err, 4096), "refused output has a clean message");
		free(err);
		return;
	}
	fuzz_require(fuzz_clean_or_null(st.daemon_status, sizeof st.daemon_status - 1), "the daemon status is clean");
	fuzz_require(!st.ipv4[0] || (cc_ipv4_valid(st.ipv4) && st.prefixlen >= 1 && st.prefixlen <= 32),
		     "the address is IPv4/1-32");
	fuzz_require(fuzz_clean_or_null(st.mgmt_error, NB_MAX_QUOTE + 3) && fuzz_clean_or_null(st.mgmt_url, NB_MAX_URL + 3) &&
			     fuzz_clean_or_null(st.fqdn, NB_MAX_HOSTNAME + 3) && fuzz_clean_or_null(st.daemon_version, 64 + 3),
		     "texts are bounded and clean");
	fuzz_require(nb_state_name(st.state) != NULL, "the state has a name");
	nb_status_free(&st);
}

static void options(const char *json, bool strict)
{
	struct nb_options o, back;
	char *err = NULL, *payload;

	if (nb_options_parse(json, strict, &o, &err) < 0) {
		fuzz_require(!o.setup_key && !o.management_url && !o.hostname, "a refusal keeps nothing");
		free(err);
		return;
	}
	payload = nb_payload_build(&o, "node-1");
	fuzz_require(payload && nb_options_parse(payload, false, &back, &err) == 0, "the payload reads back");
	fuzz_require(fuzz_same(back.setup_key, o.setup_key) && fuzz_same(back.management_url, o.management_url) &&
			     fuzz_same(back.hostname, "node-1"),
		     "with the same options");
	cp_wipe_free(payload);
	nb_options_free(&back);
	nb_options_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = fuzz_memdup(data, size), *text = fuzz_strdup(data, size), *addr;
	enum nb_cli_error e;

	status(out, size);
	e = nb_classify_error(out, size);
	fuzz_require(e == NB_ERR_OTHER || e == NB_ERR_DAEMON_DOWN || e == NB_ERR_BAD_KEY, "an error is classified");
	options(text, true);
	options(text, false);
	addr = nb_observed_address(text);
	fuzz_require(!addr || cc_ipv4_valid(addr), "an observed address is IPv4");
	free(addr);
	free(out);
	free(text);
	return 0;
}
