/* The shipped example plugin, driven by the harness it is shipped with
 * (clusterctl-plugin-test), as a plugin author would drive their own:
 * the example built as a real module by this build, the harness run as a
 * program.  A unit test so that the sanitizer stage runs it with both
 * built under ASan and UBSan: every run's exit status 0 then also says
 * that neither leaked nor touched memory it must not.
 *
 * The example's contract: on an interface that is up with an address
 * (lo here) observe, status and ensure report it; an interface that is
 * not there yet is converged = 0 with the configured retry-after, never a
 * fatal error; its options are checked as clusterctl checks them. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "subprocess.h"
#include "tap.h"

#ifndef TEST_EMULATOR
#define TEST_EMULATOR ""
#endif

struct run {
	int exit_status;
	char *out, *err;
	json_object *json;
};

/* harness ARGS... on the example; run->json is its answer, parsed. */
static void harness(struct run *run, const char *const args[])
{
	static const char *const env[] = {"CLUSTERCTL_NO_DLCLOSE=1", NULL};
	const char *argv[24];
	struct clusterctl_run_result res = CLUSTERCTL_RUN_RESULT_INIT;
	size_t n = 0;

	memset(run, 0, sizeof *run);
	/* A cross build runs this test under an emulator; the harness too. */
	if (*TEST_EMULATOR)
		argv[n++] = TEST_EMULATOR;
	argv[n++] = PLUGIN_TEST;
	argv[n++] = EXAMPLE_SO;
	for (size_t i = 0; args[i] && n < 23; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (spawn_run(argv, env, NULL, 60000, &res) < 0) {
		run->exit_status = -1;
		return;
	}
	run->exit_status = res.exit_status;
	run->out = res.out;
	run->err = res.err;
	run->json = res.out ? json_tokener_parse(res.out) : NULL;
	if (run->exit_status != 0 && run->err && *run->err)
		diag("harness stderr: %.2000s", run->err);
}

static void run_free(struct run *run)
{
	free(run->out);
	free(run->err);
	json_object_put(run->json);
}

/* The value at a path of object keys ("Result", "Observed", "Up"). */
static json_object *at(json_object *o, const char *a, const char *b, const char *c)
{
	const char *path[] = {a, b, c};
	for (size_t i = 0; i < 3 && path[i] && o; i++)
		if (!json_object_object_get_ex(o, path[i], &o))
			return NULL;
	return o;
}

static const char *str_at(json_object *o, const char *a, const char *b, const char *c)
{
	o = at(o, a, b, c);
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : "(none)";
}

static size_t violations(json_object *o)
{
	json_object *v = at(o, "Violations", NULL, NULL);
	return v && json_object_is_type(v, json_type_array) ? json_object_array_length(v) : (size_t)-1;
}

int main(void)
{
	struct run r;

	harness(&r, (const char *const[]){"--op", "observe", "--option", "interface=lo", NULL});
	is_int(r.exit_status, 0, "observe on lo: exit 0 (no leak, no memory error)");
	is_str(str_at(r.json, "Result", "Observed", "Interface"), "lo", "observe reports the interface");
	ok(json_object_get_boolean(at(r.json, "Result", "Observed", "Up")), "that it is up");
	is_str(str_at(r.json, "Result", "Observed", "Address"), "127.0.0.1", "and its address");
	is_int((long long)violations(r.json), 0, "within the contract");
	run_free(&r);

	harness(&r, (const char *const[]){"--op", "status", "--option", "interface=lo", NULL});
	is_int(r.exit_status, 0, "status on lo: exit 0");
	is_str(str_at(r.json, "Result", "Status", "Address"), "127.0.0.1", "status answers a JSON object");
	run_free(&r);

	harness(&r, (const char *const[]){"--op", "ensure", "--option", "interface=lo", NULL});
	is_int(r.exit_status, 0, "ensure on lo: exit 0");
	ok(json_object_get_boolean(at(r.json, "Result", "Converged", NULL)), "converged");
	is_str(str_at(r.json, "Result", "Address", NULL), "127.0.0.1", "with the address on the link");
	is_str(str_at(r.json, "Result", "Ifname", NULL), "lo", "and the link");
	run_free(&r);

	harness(&r, (const char *const[]){"--op", "ensure", "--option", "interface=nosuch0", "--option",
					  "retry-after=9", NULL});
	is_int(r.exit_status, 0, "ensure with the interface not there yet: exit 0, a retry and not an error");
	ok(!json_object_get_boolean(at(r.json, "Result", "Converged", NULL)), "not converged");
	is_int(json_object_get_int(at(r.json, "Result", "RetryAfter", NULL)), 9,
	       "asks to be tried again after --example-retry-after");
	is_str(str_at(r.json, "Result", "Message", NULL), "overlay interface nosuch0 not found yet: start your VPN",
	       "saying what is missing");
	run_free(&r);

	harness(&r, (const char *const[]){"--op", "ensure", "--option", "retry-after=0", NULL});
	is_int(r.exit_status, 2, "an option out of range is refused before the plugin starts (exit 2)");
	like(r.err ? r.err : "", "example-retry-after wants a whole number in 1..3600, got \"0\"",
	     "with clusterctl's own message");
	run_free(&r);
	return done_testing();
}
