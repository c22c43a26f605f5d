/* The netbird plugin's parsers: `netbird status --json` in its versions
 * (JSON with and without daemonStatus, the old logged-out text), the
 * CLI's error text, the master's options, and hostile input. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "netbird-json.h"

static int parse(const char *s, struct nb_status *st, char **err)
{
	return nb_status_parse(s, strlen(s), st, err);
}

/* Shaped like client/status/status_test.go's fixture (netbird HEAD). */
static const char connected[] =
	"{\"peers\":{\"total\":2,\"connected\":2,\"details\":[{\"fqdn\":\"peer-1.awesome-domain.com\","
	"\"netbirdIp\":\"192.168.178.101\",\"status\":\"Connected\",\"connectionType\":\"P2P\"}]},"
	"\"cliVersion\":\"development\",\"daemonVersion\":\"0.14.1\",\"daemonStatus\":\"Connected\","
	"\"management\":{\"url\":\"my-awesome-management.com:443\",\"connected\":true,\"error\":\"\"},"
	"\"signal\":{\"url\":\"my-awesome-signal.com:443\",\"connected\":true,\"error\":\"\"},"
	"\"relays\":{\"total\":0,\"available\":0,\"details\":[]},"
	"\"netbirdIp\":\"192.168.178.100/16\",\"publicKey\":\"Some-Pub-Key\",\"usesKernelInterface\":true,"
	"\"wireguardPort\":51820,\"fqdn\":\"some-localhost.awesome-domain.com\",\"quantumResistance\":false}\n";

static void test_status_good(void)
{
	struct nb_status st;
	char *err = NULL;

	is_int(parse(connected, &st, &err), 0, "the project's fixture parses");
	is_int(st.state, NB_STATE_CONNECTED, "daemonStatus Connected");
	ok(st.json && st.has_daemon_status, "JSON with daemonStatus (v0.67+)");
	is_str(st.ipv4, "192.168.178.100", "local netbirdIp without its prefix length");
	is_int(st.prefixlen, 16, "prefix length 16");
	ok(st.mgmt_connected && !st.mgmt_error, "management connected, no error");
	is_str(st.fqdn, "some-localhost.awesome-domain.com", "fqdn");
	is_str(st.daemon_version, "0.14.1", "daemonVersion");
	nb_status_free(&st);

	is_int(parse("{\"daemonStatus\":\"NeedsLogin\",\"netbirdIp\":\"\",\"management\":{\"connected\":false,"
		     "\"error\":\"rpc error: code = NotFound desc = couldn't add peer: setup key is invalid\"}}",
		     &st, &err),
	       0, "a logged-out v0.67 JSON parses");
	is_int(st.state, NB_STATE_NEEDS_LOGIN, "NeedsLogin");
	ok(nb_state_logged_out(st.state), "counts as logged out");
	like(st.mgmt_error, "setup key is invalid", "management error kept");
	nb_status_free(&st);

	is_int(parse("Daemon status: NeedsLogin\n\nRun UP command to log in with SSO (interactive login):\n\n"
		     " netbird up \n",
		     &st, &err),
	       0, "the pre-v0.67 text parses");
	ok(!st.json && st.state == NB_STATE_NEEDS_LOGIN, "as NeedsLogin from text");
	nb_status_free(&st);
	is_int(parse("Daemon status: LoginFailed\n", &st, &err), 0, "LoginFailed text");
	is_int(st.state, NB_STATE_LOGIN_FAILED, "LoginFailed");
	nb_status_free(&st);

	is_int(parse("{\"netbirdIp\":\"100.92.0.7/16\",\"management\":{\"connected\":true,\"error\":\"\"}}", &st,
		     &err),
	       0, "JSON without daemonStatus (before v0.67)");
	ok(!st.has_daemon_status && st.state == NB_STATE_CONNECTED, "management up + IP: Connected");
	nb_status_free(&st);
	is_int(parse("{\"netbirdIp\":\"\",\"management\":{\"connected\":false}}", &st, &err), 0,
	       "old JSON, management down");
	is_int(st.state, NB_STATE_IDLE, "counts as Idle (up is needed)");
	nb_status_free(&st);
	is_int(parse("{\"netbirdIp\":\"\",\"management\":{\"connected\":true}}", &st, &err), 0,
	       "old JSON, management up without IP");
	is_int(st.state, NB_STATE_CONNECTING, "counts as Connecting");
	nb_status_free(&st);

	for (int i = NB_STATE_IDLE; i <= NB_STATE_SESSION_EXPIRED; i++) {
		char buf[96];
		snprintf(buf, sizeof buf, "{\"daemonStatus\":\"%s\"}", nb_state_name(i));
		parse(buf, &st, &err);
		is_int(st.state, i, "daemonStatus %s round-trips", nb_state_name(i));
		nb_status_free(&st);
	}
}

static void expect_bad(const char *s, size_t len, const char *needle, const char *what)
{
	struct nb_status st;
	char *err = NULL;
	is_int(nb_status_parse(s, len, &st, &err), -EINVAL, "%s is refused", what);
	like(err, needle, "%s: the error says why", what);
	free(err);
}

static void test_status_hostile(void)
{
	struct nb_status st;
	char *err = NULL, *big;

	expect_bad("", 0, "empty", "empty output");
	expect_bad(" \n\t", 3, "empty", "blank output");
	expect_bad("Connected\n", 10, "neither JSON", "some other text");
	expect_bad("{\"daemonStatus\":", 16, "not valid JSON", "truncated JSON");
	expect_bad("{\"a\":1}{\"b\":2}", 14, "trailing", "two objects");
	expect_bad("[{}]", 4, "neither JSON", "an array");
	{
		static const char nul[] = "{\"daemonStatus\":\"Connected\"}\0{}";
		expect_bad(nul, sizeof nul - 1, "", "JSON, a NUL, more");
	}

	is_int(parse("{\"daemonStatus\":7,\"netbirdIp\":[\"100.64.0.1/16\"],\"management\":\"up\",\"fqdn\":{}}",
		     &st, &err),
	       0, "wrong types parse");
	ok(!st.has_daemon_status && !st.ipv4[0] && !st.mgmt_connected && !st.fqdn,
	   "and are not believed");
	is_int(st.state, NB_STATE_IDLE, "so the peer counts as not connected");
	nb_status_free(&st);

	static const char *bad_ips[] = {"100.64.0.1",      "100.64.0.1/",   "100.64.0.1/33", "100.64.0.1/0",
					"100.64.0.1/16x",  "999.64.0.1/16", "/16",           "100.64.0.1/-1",
					"100.64.0.1//16",  "100.64.0.1/ 16", "fd00::1/64"};
	for (size_t i = 0; i < sizeof bad_ips / sizeof bad_ips[0]; i++) {
		char buf[128];
		snprintf(buf, sizeof buf, "{\"daemonStatus\":\"Connected\",\"netbirdIp\":\"%s\"}", bad_ips[i]);
		parse(buf, &st, &err);
		ok(!st.ipv4[0], "netbirdIp \"%s\" is not an address", bad_ips[i]);
		nb_status_free(&st);
	}

	is_int(parse("{\"daemonStatus\":\"Conn\\u001b[2Jected\\n\"}", &st, &err), 0, "a strange status parses");
	is_int(st.state, NB_STATE_UNKNOWN, "as unknown");
	ok(!strchr(st.daemon_status, 0x1b) && !strchr(st.daemon_status, '\n'), "quoted without control bytes");
	nb_status_free(&st);

	is_int(parse("Daemon status: \n", &st, &err), 0, "an empty status word parses");
	is_int(st.state, NB_STATE_UNKNOWN, "as unknown");
	nb_status_free(&st);

	{
		size_t n = 1 << 20;
		big = malloc(n + 200);
		int o = sprintf(big, "{\"daemonStatus\":\"Connected\",\"management\":{\"connected\":true,\"error\":\"");
		memset(big + o, 'e', n);
		strcpy(big + o + n, "\"},\"netbirdIp\":\"100.92.0.7/16\"}");
		is_int(parse(big, &st, &err), 0, "a 1 MiB management error parses");
		ok(st.mgmt_error && strlen(st.mgmt_error) <= NB_MAX_QUOTE + 3, "and is bounded");
		is_str(st.ipv4, "100.92.0.7", "the address after it is still read");
		nb_status_free(&st);
		free(big);
	}
	{
		size_t o = 0;
		big = malloc(1000);
		o += (size_t)sprintf(big, "{\"x\":");
		for (int i = 0; i < 300; i++)
			big[o++] = '[';
		big[o] = '\0';
		expect_bad(big, o, "not valid JSON", "300 open brackets");
		free(big);
	}
}

static void test_classify(void)
{
	static const char down[] = "Error: failed to connect to daemon error: context deadline exceeded\n"
				   "If the daemon is not running please run: \nnetbird service install \n"
				   "netbird service start\n\n";
	is_int(nb_classify_error(down, sizeof down - 1), NB_ERR_DAEMON_DOWN, "no daemon");
	static const char *const texts[] = {
		"Error: login failed: rpc error: code = NotFound desc = couldn't add peer: setup key is invalid\n",
		"Error: login backoff cycle failed: rpc error: code = FailedPrecondition desc = couldn't add "
		"peer: setup key is expired",
		"Error: invalid setup-key format",
		"Error: call service up method: permission denied",
	};
	is_int(nb_classify_error(texts[0], strlen(texts[0])), NB_ERR_BAD_KEY, "a rejected setup key");
	is_int(nb_classify_error(texts[1], strlen(texts[1])), NB_ERR_BAD_KEY, "an expired key after retries");
	is_int(nb_classify_error(texts[2], strlen(texts[2])), NB_ERR_BAD_KEY, "a malformed key");
	is_int(nb_classify_error(texts[3], strlen(texts[3])), NB_ERR_OTHER, "anything else");
	is_int(nb_classify_error(NULL, 0), NB_ERR_OTHER, "no text");
	{
		char with_nul[] = "xx\0failed to connect to daemon";
		is_int(nb_classify_error(with_nul, sizeof with_nul - 1), NB_ERR_DAEMON_DOWN, "text after a NUL is read");
	}
}

static void test_options(void)
{
	struct nb_options o;
	char *err = NULL, *p;

	is_int(nb_options_parse("{\"SetupKey\":\"A1B2-SECRET\",\"ManagementURL\":\"https://nb.example:443\"}", true,
				&o, &err),
	       0, "master options");
	p = nb_payload_build(&o, "node3");
	nb_options_free(&o);
	is_int(nb_options_parse(p, false, &o, &err), 0, "the payload parses on the node");
	is_str(o.setup_key, "A1B2-SECRET", "SetupKey carried");
	is_str(o.management_url, "https://nb.example:443", "ManagementURL carried");
	is_str(o.hostname, "node3", "Hostname carried");
	nb_options_free(&o);
	free(p);

	struct {
		const char *json;
		bool strict;
		const char *needle;
	} bad[] = {
		{"{\"SetupKey\":\"A1 SECRET\"}", true, "SetupKey must be"},
		{"{\"SetupKey\":\"\"}", true, "SetupKey must be"},
		{"{\"SetupKey\":{\"v\":\"SECRET\"}}", true, "SetupKey must be"},
		{"{\"ManagementURL\":\"nb.example:443\"}", true, "ManagementURL must be"},
		{"{\"ManagementURL\":\"https://nb.example/\\n\"}", true, "ManagementURL must be"},
		{"{\"Setupkey\":\"SECRET\"}", true, "unknown key \"Setupkey\""},
		{"{\"Hostname\":\"x\"}", true, "unknown key \"Hostname\""},
		{"{\"Hostname\":\"-x\"}", false, "Hostname must be"},
		{"7", true, "must be a JSON object"},
		{"{", true, "not valid JSON"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = NULL;
		is_int(nb_options_parse(bad[i].json, bad[i].strict, &o, &err), -EINVAL, "refused: %s", bad[i].json);
		like(err, bad[i].needle, "names the problem");
		ok(!err || !strstr(err, "SECRET"), "does not quote the key");
		free(err);
	}
}

static void test_helpers(void)
{
	char *s = nb_sanitize("Error: key A1B2-SECRET refused\n", 31, 200, "A1B2-SECRET");
	is_str(s, "Error: key [redacted] refused", "the key is redacted");
	free(s);
	ok(nb_ifname_valid("wt0") && nb_ifname_valid("netbird-0") && !nb_ifname_valid("") &&
		   !nb_ifname_valid("0123456789abcdef") && !nb_ifname_valid("a/b") && !nb_ifname_valid("a b"),
	   "interface name validation");
	s = nb_observed_address("{\"Address\":\"100.92.0.7\"}");
	is_str(s, "100.92.0.7", "Observed Address");
	free(s);
	ok(nb_observed_address("{\"Address\":\"100.92.0.7/16\"}") == NULL, "a CIDR is not an Address");
}

int main(void)
{
	test_status_good();
	test_status_hostile();
	test_classify();
	test_options();
	test_helpers();
	return done_testing();
}
