/* Node side of clusterctl: retry pacing, the join secret file, and the
 * Swarm plan for each LocalNodeState.  (The controller's answer as the
 * node decodes it: test-ctl-client.c.) */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "backoff.h"
#include "join-secret.h"
#include "swarm-converge.h"
#include "util.h"

#define TOKEN "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx"

static void test_backoff(void)
{
	struct backoff b;
	int64_t now = 1000000, deadline = now + 600000, d, max_seen = 0;
	bool varied = false;
	int64_t first = -2;

	backoff_init(&b, 500, 30000);
	for (int i = 0; i < 40; i++) {
		d = backoff_next(&b, 0, now, deadline);
		if (d < 0 || d > 30000)
			break;
		if (first == -2)
			first = d;
		else if (d != first)
			varied = true;
		if (d > max_seen)
			max_seen = d;
	}
	ok(d >= 0 && d <= 30000, "delays stay within [0, cap]");
	ok(varied, "delays are jittered");
	ok(max_seen > 500, "delays grow past the base");
	backoff_init(&b, 500, 30000);
	d = backoff_next(&b, 0, now, deadline);
	ok(d >= 0 && d <= 500, "the first delay is at most the base (%lld)", (long long)d);
	d = backoff_next(&b, 20, now, deadline);
	ok(d >= 20000, "RetryAfter from the controller is obeyed (%lld ms)", (long long)d);
	d = backoff_next(&b, 20, now, now + 3000);
	is_int(d, 3000, "a delay never runs past the deadline");
	is_int(backoff_next(&b, 0, deadline, deadline), -1, "at the deadline: give up");
}

static void test_secret(void)
{
	char dir[] = "/tmp/clusterctl-secret-XXXXXX", path[300], *s1 = NULL, *s2 = NULL, *err = NULL;
	bool created;
	struct stat st;

	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof path, "%s/join-secret", dir);
	ok(join_secret_ensure(dir, &s1, &created, &err) == 0 && created, "a missing secret is created");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600");
	is_int(s1 ? strlen(s1) : 0, 64, "32 random bytes, hex");
	chmod(path, 0644);
	ok(join_secret_ensure(dir, &s2, &created, &err) == 0 && !created, "an existing secret is kept");
	is_str(s2, s1, "the same secret comes back");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "loose permissions are tightened");
	ok(join_secret_equal(s1, s2), "equal secrets compare equal");
	ok(!join_secret_equal(s1, "short"), "a different length differs");
	s2[10] ^= 1;
	ok(!join_secret_equal(s1, s2), "one changed byte differs");
	free(s1);
	free(s2);
	{
		FILE *f = fopen(path, "w");
		fputs("has space in it, bad\n", f);
		fclose(f);
	}
	ok(join_secret_read(path, &s1, &err) == -EINVAL && err, "a secret with spaces is refused: %s", err ? err : "");
	free(err);
	err = NULL;
	unlink(path);
	rmdir(dir);
}

static void test_plan(void)
{
	char *mgrs[] = {(char *)"198.51.100.11:2377"};
	struct swarm_target t = {.role = "worker", .token = TOKEN, .manager_addr = "198.51.100.11:2377",
				 .advertise = "198.51.100.12"};
	struct docker_info i = {.local_state = (char *)"inactive"};
	char *p = NULL;

	swarm_plan(&i, &t, &p);
	like(p, "join the swarm at 198.51.100.11:2377 as worker, advertising 198.51.100.12", "inactive: join");
	free(p);
	i.local_state = (char *)"pending";
	swarm_plan(&i, &t, &p);
	like(p, "leave the unfinished join (pending), then join", "pending: leave, then join");
	free(p);
	i.local_state = (char *)"locked";
	swarm_plan(&i, &t, &p);
	like(p, "locked and must be unlocked", "locked: a person must unlock");
	free(p);
	i.local_state = (char *)"active";
	i.remote_managers = mgrs;
	i.n_remote_managers = 1;
	swarm_plan(&i, &t, &p);
	like(p, "nothing: already a worker of this swarm", "active, same swarm, same role: nothing");
	free(p);
	t.role = "manager";
	swarm_plan(&i, &t, &p);
	like(p, "ask the controller to promote", "active, same swarm, worker asked to be manager: promote");
	free(p);
	mgrs[0] = (char *)"203.0.113.9:2377";
	swarm_plan(&i, &t, &p);
	like(p, "stop: this node is in another swarm", "another swarm without --force: stop");
	free(p);
	t.force = true;
	swarm_plan(&i, &t, &p);
	like(p, "leave it (--force) and join", "another swarm with --force: leave and join");
	free(p);
	{
		char *o = swarm_observed_json(&i);
		like(o, "\"LocalNodeState\":\"active\"", "Observed.Swarm carries the state");
		like(o, "\"ControlAvailable\":false", "and whether this node manages");
		free(o);
	}
}

int main(void)
{
	test_backoff();
	test_secret();
	test_plan();
	return done_testing();
}
