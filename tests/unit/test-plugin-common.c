/* The plugins' shared helpers (plugins/common): strict JSON parsing,
 * sanitizing and redaction, the options table, and the host-service
 * helpers against a host table whose addr_list/link_get/config_get are
 * fakes driven by the test. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "cc-buf.h"
#include "cc-time.h"
#include "plugin-host.h"
#include "plugin-json.h"

static void test_parse(void)
{
	json_object *o = NULL;
	char *err = NULL, *deep;

	is_int(cp_json_parse("{\"a\":1}\n ", 9, 8, "reply", &o, &err), 0, "an object with trailing blanks");
	ok(o && json_object_is_type(o, json_type_object), "is returned");
	json_object_put(o);
	is_int(cp_json_parse("42", 2, 8, "reply", &o, &err), 0, "a bare number that ends the input");
	json_object_put(o);

	is_int(cp_json_parse("", 0, 8, "output", &o, &err), -EINVAL, "empty input");
	is_str(err, "empty output", "the message uses the caller's noun");
	free(err);
	is_int(cp_json_parse("{} x", 4, 8, "reply", &o, &err), -EINVAL, "trailing bytes");
	like(err, "trailing bytes", "are named");
	ok(o == NULL, "and nothing is returned");
	free(err);
	{
		static const char nul[] = "{}\0{}";
		is_int(cp_json_parse(nul, sizeof nul - 1, 8, "reply", &o, &err), -EINVAL, "a NUL and more");
		free(err);
	}
	is_int(cp_json_parse("{\"a\":[1,", 8, 8, "reply", &o, &err), -EINVAL, "a truncated value");
	like(err, "truncated", "says truncated");
	free(err);

	deep = malloc(64);
	memset(deep, '[', 20);
	memset(deep + 20, ']', 20);
	is_int(cp_json_parse(deep, 40, 8, "reply", &o, &err), -EINVAL, "20 deep over a limit of 8");
	like(err, "not valid JSON", "is not valid JSON");
	free(err);
	is_int(cp_json_parse(deep, 40, 32, "reply", &o, &err), 0, "20 deep under a limit of 32");
	json_object_put(o);
	free(deep);
}

static void test_getters(void)
{
	json_object *o = json_tokener_parse("{\"s\":\"a\\nb\",\"e\":\"\",\"n\":5,\"b\":true,\"bs\":\"true\"}");
	size_t len = 0;
	char *d = NULL;

	is_str(cp_json_get_str(o, "s", &len), "a\nb", "a string member");
	is_int((int)len, 3, "with its length");
	ok(cp_json_get_str(o, "n", NULL) == NULL && cp_json_get_str(o, "x", NULL) == NULL,
	   "a number or an absent member is no string");
	ok(cp_json_get_bool(o, "b", false) && cp_json_get_bool(o, "bs", false) == false &&
		   cp_json_get_bool(o, "x", true),
	   "booleans only from JSON booleans, else the default");
	is_int(cp_json_dup_sanitized(o, "s", 10, &d), 0, "dup_sanitized");
	is_str(d, "a b", "strips the newline");
	free(d);
	cp_json_dup_sanitized(o, "e", 10, &d);
	ok(d == NULL, "an empty member gives NULL");
	json_object_put(o);

	o = json_object_new_object();
	cp_json_add_str(o, "k", "v/w");
	cp_json_add_str(o, "none", NULL);
	d = cp_json_render(o);
	is_str(d, "{\"k\":\"v/w\"}", "render: compact, no slash escape, NULL values skipped");
	free(d);
}

static void test_sanitize(void)
{
	char *s;

	s = cp_sanitize("key S3CR3T and S3CR3T again\r\n", 29, 200, "S3CR3T");
	is_str(s, "key [redacted] and [redacted] again?", "every occurrence is redacted");
	free(s);
	s = cp_sanitize("\x7f\t x", 4, 200, NULL);
	is_str(s, "?  x", "DEL becomes '?', a tab a blank");
	free(s);
	s = cp_sanitize(NULL, 5, 10, NULL);
	is_str(s, "", "NULL text is empty");
	free(s);
	s = cp_quote("", 0, NULL, "(no output)");
	is_str(s, "(no output)", "an empty quote says so");
	free(s);
	{
		char big[1000];
		memset(big, 'x', sizeof big);
		s = cp_quote(big, sizeof big, NULL, "-");
		ok(s && strlen(s) == CP_MAX_QUOTE + 3 && strcmp(s + CP_MAX_QUOTE, "...") == 0,
		   "a quote is bounded to %d bytes and marked", CP_MAX_QUOTE);
		free(s);
	}
}

static void test_validators(void)
{
	ok(cp_token_valid("abc", 3, 3) && !cp_token_valid("abcd", 4, 3) && !cp_token_valid("a c", 3, 9) &&
		   !cp_token_valid("", 0, 9) && !cp_token_valid("a\0c", 3, 9) && !cp_token_valid("\xc3\xa9", 2, 9),
	   "tokens: printable ASCII, no blanks, bounded");
	ok(cp_url_valid("http://x", 8, 99) && cp_url_valid("https://x", 9, 99) &&
		   !cp_url_valid("https://", 8, 99) && !cp_url_valid("ftp://x", 7, 99) &&
		   !cp_url_valid("https://x", 9, 8),
	   "URLs: http or https with something after");
}

static void test_options(void)
{
	char *key = NULL, *url = NULL, *host = NULL, *err = NULL, *p;
	const struct cp_option opts[] = {
		{"Key", CP_OPTION_SECRET, 16, false, &key},
		{"URL", CP_OPTION_URL, 64, false, &url},
		{"Hostname", CP_OPTION_HOSTNAME, 253, true, &host},
	};

	is_int(cp_options_parse("{\"Key\":\"k1\",\"URL\":\"https://u\"}", true, "the opts", opts, 3, &err), 0,
	       "strict options parse");
	ok(key && url && !host && strcmp(key, "k1") == 0, "each key lands in its field");
	{
		const char *const k[] = {"Key", "URL", "Hostname"};
		const char *const v[] = {key, url, "n1"};
		p = cp_payload_build(k, v, 3);
		is_str(p, "{\"Key\":\"k1\",\"URL\":\"https://u\",\"Hostname\":\"n1\"}", "payload in table order");
	}
	free(key);
	free(url);
	is_int(cp_options_parse(p, false, "the payload", opts, 3, &err), 0, "the payload parses non-strict");
	is_str(host, "n1", "with its Hostname");
	free(p);
	free(key);
	free(url);
	free(host);

	is_int(cp_options_parse("{\"Kye\":\"SECRET\"}", true, "the opts", opts, 3, &err), -EINVAL, "a typo");
	is_str(err, "the opts: unknown key \"Kye\" (known: Key, URL)", "lists the keys the master may use");
	free(err);
	is_int(cp_options_parse("{\"Hostname\":\"n\"}", true, "the opts", opts, 3, &err), -EINVAL,
	       "a payload-only key in strict mode");
	free(err);
	is_int(cp_options_parse("{\"URL\":\"https://u\",\"Key\":\"SECRET SECRET\"}", true, "the opts", opts, 3,
				&err),
	       -EINVAL, "a bad secret");
	is_str(err, "the opts: Key must be a string of 1-16 printable characters without spaces",
	       "names the key, never the value");
	ok(key == NULL && url == NULL, "and nothing is kept");
	free(err);
	/* Host names follow common/'s one rule (RFC 1123), as on the wire. */
	is_int(cp_options_parse("{\"Hostname\":\"node_1\"}", false, "the payload", opts, 3, &err), -EINVAL,
	       "a Hostname with '_' (not RFC 1123)");
	like(err, "Hostname must be an RFC 1123 host name of at most 253 characters", "says which rule");
	free(err);
	is_int(cp_options_parse("{\"Hostname\":\"node-1.lan\"}", false, "the payload", opts, 3, &err), 0,
	       "an RFC 1123 Hostname");
	free(host);
	host = NULL;
	is_int(cp_options_parse("{\"New\":1}", false, "the payload", opts, 3, &err), 0,
	       "unknown keys are skipped in the payload");
	is_int(cp_options_parse(NULL, true, "the opts", opts, 3, &err), 0, "no options");
	is_int(cp_options_parse("[1]", true, "the opts", opts, 3, &err), -EINVAL, "not an object");
	is_str(err, "the opts must be a JSON object", "says so");
	free(err);
}

static void test_names(void)
{
	static const struct cp_name t[] = {{"One", 1}, {"Two", 2}};
	is_int(cp_name_value(t, 2, "Two", 3, -1), 2, "a name gives its value");
	is_int(cp_name_value(t, 2, "Tw", 2, -1), -1, "a prefix does not match");
	is_int(cp_name_value(t, 2, "One\0x", 5, -1), -1, "nor a name with a NUL");
	is_str(cp_name_of(t, 2, 1, "?"), "One", "a value gives its name");
	is_str(cp_name_of(t, 2, 9, "?"), "?", "else the default");
}

/* The fake host: addr_list answers from fake_addrs (or fails). */
static struct clusterctl_ifaddr fake_addrs[3];
static size_t fake_n;
static int fake_list_err, fake_calls;
static char fake_error[256];
static const char *fake_hostname;

static int fake_addr_list(void *ctx, struct clusterctl_ifaddr **out, size_t *count)
{
	(void)ctx;
	fake_calls++;
	*out = NULL;
	*count = 0;
	if (fake_list_err)
		return fake_list_err;
	*out = malloc(sizeof fake_addrs);
	memcpy(*out, fake_addrs, sizeof fake_addrs);
	*count = fake_n;
	return 0;
}
static int fake_link_get(void *ctx, const char *ifname, struct clusterctl_link *l)
{
	(void)ctx;
	if (strcmp(ifname, "ts0") != 0)
		return -ENODEV;
	l->mtu = 1280;
	return 0;
}
static const char *fake_config_get(void *ctx, const char *key)
{
	(void)ctx;
	if (strcmp(key, "hostname") == 0)
		return fake_hostname;
	if (strcmp(key, "timeout") == 0)
		return "0";
	return NULL;
}
static void fake_err(void *ctx, const char *fmt, ...)
{
	va_list ap;
	(void)ctx;
	va_start(ap, fmt);
	vsnprintf(fake_error, sizeof fake_error, fmt, ap);
	va_end(ap);
}

static void set_addr(size_t i, const char *ifname, const char *addr, int up)
{
	memset(&fake_addrs[i], 0, sizeof fake_addrs[i]);
	snprintf(fake_addrs[i].ifname, sizeof fake_addrs[i].ifname, "%s", ifname);
	snprintf(fake_addrs[i].addr, sizeof fake_addrs[i].addr, "%s", addr);
	fake_addrs[i].link_flags = up ? IFF_UP : 0;
}

static void test_host(void)
{
	struct clusterctl_host h = {.struct_size = sizeof h,
				    .addr_list = fake_addr_list,
				    .link_get = fake_link_get,
				    .config_get = fake_config_get,
				    .error = fake_err};
	struct cp_addr_where w;
	struct clusterctl_ensure_out out;
	int64_t t0;
	char buf[64], *rec = NULL;

	set_addr(0, "eth0", "100.64.0.1", 1);
	set_addr(1, "ts0", "100.64.0.1", 0);
	fake_n = 2;
	is_int(cp_addr_find(&h, "100.64.0.1", NULL, &w), 1, "found on any up link");
	is_str(w.up_if, "eth0", "which one");
	is_int(cp_addr_find(&h, "100.64.0.1", "ts0", &w), 0, "not on the wanted link while it is down");
	ok(strcmp(w.down_if, "ts0") == 0 && strcmp(w.any_if, "ts0") == 0, "where it is and that it is down");
	set_addr(1, "ts1", "100.64.0.1", 1);
	is_int(cp_addr_find(&h, "100.64.0.1", "ts0", &w), 0, "on another link only");
	ok(!w.down_if[0] && strcmp(w.any_if, "ts1") == 0, "says which");
	is_int(cp_addr_find(&h, "100.64.0.9", NULL, &w), 0, "an absent address");
	ok(!w.any_if[0], "is nowhere");

	fake_calls = 0;
	t0 = cc_mono_ms();
	is_int(cp_addr_wait(&h, "100.64.0.9", NULL, t0 + 120, 50, &w), 0, "wait gives up at the deadline");
	ok(cc_mono_ms() - t0 >= 110 && cc_mono_ms() - t0 < 1000 && fake_calls >= 2 && fake_calls <= 5,
	   "after polling a few times (%d)", fake_calls);
	is_int(cp_addr_wait(&h, "100.64.0.1", NULL, cc_mono_ms() + 5000, 50, &w), 1, "wait returns when found");
	fake_list_err = -ENOBUFS;
	is_int(cp_addr_wait(&h, "100.64.0.1", NULL, cc_mono_ms() + 5000, 50, &w), -ENOBUFS,
	       "a listing failure ends the wait");
	fake_list_err = 0;

	is_int(cp_config_positive(&h, "timeout", 60), 60, "a timeout below 1 gets the default");
	is_str(cp_config_str(&h, "socket", "/d"), "/d", "an unset string gets the default");

	fake_hostname = NULL;
	is_int(cp_node_hostname(&h, "given-1", "X", buf, sizeof buf), 0, "the given host name");
	is_str(buf, "given-1", "is used first");
	fake_hostname = "cfg-name";
	is_int(cp_node_hostname(&h, "", "X", buf, sizeof buf), 0, "then the host's hostname key");
	is_str(buf, "cfg-name", "is used");
	fake_hostname = "bad name";
	is_int(cp_node_hostname(&h, NULL, "Prov", buf, sizeof buf), -EINVAL, "an invalid name");
	is_str(fake_error, "no usable host name for Prov (got \"bad name\")", "is explained");

	memset(&out, 0, sizeof out);
	is_int(cp_ensure_out_set(&h, &out, "100.64.0.1", "ts0", strdup("{}"), "up: %s", "yes"), 0,
	       "ensure_out_set");
	ok(out.converged == 1 && out.mtu == 1280 && strcmp(out.address, "100.64.0.1") == 0 &&
		   strcmp(out.ifname, "ts0") == 0 && strcmp(out.message, "up: yes") == 0,
	   "fills address, interface, MTU and message");
	free(out.address);
	free(out.ifname);
	free(out.observed_json);
	free(out.message);
	memset(&out, 0, sizeof out);
	is_int(cp_ensure_out_set(&h, &out, "100.64.0.1", "nope", NULL, "m"), -ENOMEM,
	       "a missing observed object is ENOMEM");
	ok(out.mtu == 0 && !out.converged, "an unknown link has MTU 0, not converged");
	free(out.address);
	free(out.ifname);
	free(out.message);

	is_int(cp_fail(&h, -EINVAL, strdup("the options: bad")), -EINVAL, "fail returns r");
	is_str(fake_error, "the options: bad", "and records the message");
	is_int(cp_fail(&h, -ENOENT, NULL), -ENOENT, "fail without a message");
	is_str(fake_error, strerror(ENOENT), "records strerror");

	is_int(cp_plan_record("{\"Address\":\"100.64.0.2\"}", &rec), 0, "plan record");
	is_str(rec, "{\"Address\":\"100.64.0.2\"}", "keeps the observed address");
	free(rec);
	rec = NULL;
	is_int(cp_fail(&h, -EINVAL, strdup("the options: bad")), -EINVAL, "fail returns r");
	is_str(fake_error, "the options: bad", "and records the message");
	is_int(cp_fail(&h, -ENOENT, NULL), -ENOENT, "fail without a message");
	is_str(fake_error, strerror(ENOENT), "records strerror");

	is_int(cp_plan_record("{\"Address\":\"100.64.0.2\\\"}\"}", &rec), 0, "a hostile address");
	ok(rec == NULL, "is not recorded");
}

/* An overlay's auth key goes only to a node whose Observed says it is
 * not up (issue 11): the test of "up". */
static void test_observed_up(void)
{
	ok(cp_observed_up("{\"BackendState\":\"Running\",\"Address\":\"100.64.0.7\"}", "BackendState", "Running"),
	   "Running with an address: up");
	ok(!cp_observed_up("{\"BackendState\":\"NeedsLogin\",\"Address\":\"100.64.0.7\"}", "BackendState",
			   "Running"),
	   "NeedsLogin: not up");
	ok(!cp_observed_up("{\"BackendState\":\"Running\"}", "BackendState", "Running"), "no address: not up");
	ok(!cp_observed_up("{\"BackendState\":\"Running\",\"Address\":\"100.64.0\"}", "BackendState", "Running"),
	   "an invalid address: not up");
	ok(!cp_observed_up("{}", "BackendState", "Running") && !cp_observed_up(NULL, "BackendState", "Running") &&
		   !cp_observed_up("not json", "BackendState", "Running") &&
		   !cp_observed_up("[\"Running\"]", "BackendState", "Running"),
	   "nothing, NULL, not JSON, not an object: not up");
}

int main(void)
{
	test_observed_up();
	test_parse();
	test_getters();
	test_sanitize();
	test_validators();
	test_options();
	test_names();
	test_host();
	return done_testing();
}
