/* The controller's checks on what a plugin plans (core/plan-check.c), read
 * as its contract: a plugin's output is input like any other.  A fixture
 * storage plugin (tests/fixtures/plugins/plan-fixture.c), loaded by the
 * core's own loader, answers bad plans on request: over the payload cap,
 * not JSON, not an object, a bad record, storage without a volume, with a
 * relative mount or brick, a failure, and a plan or node event slower than
 * the plan budget, which is logged as a WARN naming the plugin and the
 * time.  The JSON validator the checks use is tested on its own. */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc-file.h"
#include "config.h"
#include "log.h"
#include "plan-check.h"
#include "plugin-loader.h"
#include "tap.h"
#include "util.h"

static void test_validator(void)
{
	static const char *const good[] = {
		"{}", "{\"a\":[1,2.5,-3e+2,true,false,null,\"x\\u00e9\\n\"]}", " {\"k\":{\"n\":{}}}\n",
		"[]", "\"\\ud83d\\ude00\"", "{\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", "0", "-0.5",
	};
	static const char *const bad[] = {
		"", "{", "{}}", "{\"a\":}", "{\"a\" 1}", "{a:1}", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e",
		"\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"tab\there\"", "\"\xc3\"", "\"\xc0\xaf\"",
		"\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "tru", "nul", "{} x", "{\"a\":1}{}",
	};
	char deep[200];
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++)
		ok(json_text_valid(good[i], 1024, false), "valid JSON: %s", good[i]);
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(!json_text_valid(bad[i], 1024, false), "invalid JSON refused: case %zu", i);
	ok(!json_text_valid("[1]", 1024, true), "an array where an object is wanted");
	ok(json_text_valid("{\"a\":1}", 7, true) && !json_text_valid("{\"a\":1}", 6, true), "the size bound is exact");
	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	deep[128] = '\0';
	ok(json_text_valid(deep, 1024, false), "nesting 64 deep is fine");
	memset(deep, '[', 65);
	memset(deep + 65, ']', 65);
	deep[130] = '\0';
	ok(!json_text_valid(deep, 1024, false), "nesting 65 deep is refused (no unbounded recursion)");
}

static struct plugin *fixture(struct config *cfg)
{
	struct plugin *p = NULL;
	char *reason = NULL;
	if (plugin_load_file(PLAN_FIXTURE, &p, &reason) < 0) {
		diag("cannot load %s: %s", PLAN_FIXTURE, reason ? reason : "?");
		free(reason);
		return NULL;
	}
	if (plugin_start(p, cfg) < 0) {
		plugin_free(p);
		return NULL;
	}
	return p;
}

/* One plan of node n1 in a mode; *err (may be NULL) the refusal. */
static int plan_mode(struct plugin *p, const char *mode, struct plan_result *res, char **err)
{
	struct clusterctl_node node = {.struct_size = sizeof node, .node_id = "n1", .hostname = "n1",
				       .ip = "192.0.2.7", .swarm_role = "worker"};
	struct clusterctl_plan_in in = {.struct_size = sizeof in, .node = &node, .observed_json = "{}"};
	char opts[64];
	snprintf(opts, sizeof opts, "{\"Mode\":\"%s\"}", mode);
	in.options_json = opts;
	return provider_plan(p, true, &in, res, err);
}

static void expect_refusal(struct plugin *p, const char *mode, const char *needle, const char *what)
{
	struct plan_result res;
	char *err = NULL;
	int r = plan_mode(p, mode, &res, &err);
	ok(r == -EINVAL && err && strstr(err, needle) && strstr(err, "storage plugin \"planfix\""),
	   "%s: refused, naming the plugin", what);
	if (err)
		diag("%s", err);
	free(err);
	plan_result_free(&res);
}

static char *slurp_log(const char *path)
{
	char *text = NULL;
	size_t n;
	return cc_read_file(path, 1 << 20, &text, &n) == 0 ? text : NULL;
}

int main(void)
{
	struct config cfg;
	struct plugin *p;
	struct plan_result res;
	char *err = NULL, *logtext;
	char dir[] = "/tmp/test-plan-check.XXXXXX", logpath[64];

	test_validator();

	if (!mkdtemp(dir))
		return 1;
	config_init_defaults(&cfg);
	free(cfg.node_state_dir);
	cfg.node_state_dir = strdup(dir);
	if (!(p = fixture(&cfg)))
		return skip_all("the plan fixture plugin is not built");

	ok(plan_mode(p, "ok", &res, &err) == 0 && res.payload && !strcmp(res.payload, "{\"Step\":\"mount\"}") &&
		   res.storage_enabled && !strcmp(res.volume, "gv0") && !strcmp(res.mount, "/mnt/gv0") &&
		   !strcmp(res.brick, "/data/bricks/gv0") && res.record,
	   "a good plan passes whole");
	plan_result_free(&res);
	expect_refusal(p, "oversize", "not a JSON object of at most 262144 bytes", "a payload over 256 KiB");
	expect_refusal(p, "badjson", "not a JSON object", "a payload that is not JSON");
	expect_refusal(p, "array", "not a JSON object", "a payload that is an array");
	expect_refusal(p, "badrecord", "record that is not JSON", "a record that is not JSON");
	expect_refusal(p, "novolume", "volume name", "storage without a volume name");
	expect_refusal(p, "relative", "mount is not an absolute path", "a relative mount path");
	expect_refusal(p, "relbrick", "brick is not an absolute path", "a relative brick path");
	{
		int r = plan_mode(p, "fail", &res, &err);
		ok(r == -EIO && err && strstr(err, "storage plugin \"planfix\": the volume is gone: run master init") &&
			   !strstr(strstr(err, "planfix") + 7, "planfix"),
		   "a failing plan: its own message, prefixed once with the plugin: %s", err ? err : "");
		free(err);
		err = NULL;
		plan_result_free(&res);
	}

	/* The plan budget: measured by the host, a WARN with time and name. */
	snprintf(logpath, sizeof logpath, "%s/log", dir);
	ok(log_set_file(logpath) == 0, "log lines go to a file too");
	ok(plan_mode(p, "slow", &res, &err) == 0, "a slow plan is still a plan");
	plan_result_free(&res);
	{
		struct clusterctl_node n = {.struct_size = sizeof n, .node_id = "slow", .hostname = "slow",
					    .ip = "192.0.2.8", .swarm_role = "worker"};
		ok(provider_node_event(p, CLUSTERCTL_NODE_STORED, &n) == 0, "a slow node event too");
	}
	log_set_file(NULL);
	logtext = slurp_log(logpath);
	like(logtext, "[WARN] - storage plugin \"planfix\": plan for node=n1 took 1",
	     "the slow plan is logged as a WARN with the plugin and the time");
	like(logtext, "over the 100 ms plan budget", "naming the budget");
	like(logtext, "storage plugin \"planfix\": stored for node=slow took 1", "and so is the slow node event");
	free(logtext);
	unlink(logpath);

	plugin_free(p);
	config_free(&cfg);
	rmdir(dir);
	return done_testing();
}
