/* The controller side (gl_ctl): its background worker and the snapshot
 * the plans read, against a gluster CLI faked from answers recorded on a
 * real glusterd.
 *
 * The race this file pins down: glusterd tags a new brick with the
 * volume's id while add-brick runs, before the volume lists it.  Once
 * add-brick has returned, the snapshot still shows the volume without the
 * brick until the worker reads it again.  A plan in that window must not
 * take the tag for one left by a failed add-brick: the node would clear
 * the id of a brick that is in the volume, and the brick would serve no
 * client (seen in the lab: a third brick that never got a file). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tap.h"
#include "gluster-ctl.h"
#include "gluster-fixture.h"
#include "gluster-xml.h"

#define VOL "gv0"
#define H2 "198.51.100.62"
#define H2_BRICK H2 ":/data/glusterfs/bricks/gv0"

/* ---- the fake gluster CLI ---------------------------------------------- */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool added;          /* add-brick ran: volume info lists the new brick */
	bool gate_on;        /* hold the first volume info after add-brick */
	bool gate_waiting;   /* ... which is waiting now */
	bool gate_open;
	bool add_fails;      /* add-brick answers an error yet the volume lists the brick */
	int add_bricks, heals, start_forces, unexpected;
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static bool argv_is(const char *const argv[], size_t from, const char *const *want)
{
	for (size_t i = 0; want[i]; i++)
		if (!argv[from + i] || strcmp(argv[from + i], want[i]) != 0)
			return false;
	return true;
}

static int answer(struct clusterctl_run_result *res, const char *fixture_name, const char *text, int status)
{
	size_t len = 0;
	res->out = fixture_name ? fixture(fixture_name, &len) : strdup(text);
	if (!res->out)
		return -ENOMEM;
	res->out_len = fixture_name ? len : strlen(text);
	res->err = strdup("");
	res->exit_status = status;
	return 0;
}

static int fake_run(void *ctx, const char *const argv[], const char *const env_extra[], const char *stdin_data,
		    int timeout_ms, struct clusterctl_run_result *res)
{
	size_t a = 2; /* after "gluster --mode=script" */
	uint64_t size = res->struct_size;
	(void)ctx, (void)env_extra, (void)stdin_data, (void)timeout_ms;

	/* As the real host: a result whose size the plugin did not set is
	 * refused (and counted: no plugin may do that). */
	if (size < sizeof *res) {
		pthread_mutex_lock(&fake.mu);
		fake.unexpected++;
		pthread_mutex_unlock(&fake.mu);
		diag("run() with run_result.struct_size %llu", (unsigned long long)size);
		return -EINVAL;
	}
	memset(res, 0, sizeof *res);
	res->struct_size = size;
	if (!argv[0] || strcmp(argv[0], "gluster") != 0 || !argv[1] || strcmp(argv[1], "--mode=script") != 0)
		goto unexpected;
	if (argv[a] && strcmp(argv[a], "--xml") == 0)
		a++;
	if (argv_is(argv, a, (const char *const[]){"pool", "list", NULL}))
		return answer(res, "pool-list-two", NULL, 0);
	if (argv_is(argv, a, (const char *const[]){"volume", "info", VOL, NULL})) {
		pthread_mutex_lock(&fake.mu);
		bool added = fake.added;
		if (added && fake.gate_on) {
			fake.gate_on = false;
			fake.gate_waiting = true;
			pthread_cond_broadcast(&fake.cv);
			while (!fake.gate_open)
				pthread_cond_wait(&fake.cv, &fake.mu);
			fake.gate_waiting = false;
		}
		pthread_mutex_unlock(&fake.mu);
		return answer(res, added ? "volume-info-replica2" : "volume-info-started", NULL, 0);
	}
	if (argv_is(argv, a, (const char *const[]){"volume", "add-brick", VOL, "replica", "2", H2_BRICK, NULL})) {
		pthread_mutex_lock(&fake.mu);
		fake.added = true;
		fake.add_bricks++;
		bool fails = fake.add_fails;
		pthread_mutex_unlock(&fake.mu);
		/* a recorded add-brick error stands for "Commit failed on
		 * <peer>", which glusterd gives with the brick listed */
		return answer(res, fails ? "add-brick-wrong-count" : "add-brick-replica2", NULL, 0);
	}
	if (argv_is(argv, a, (const char *const[]){"volume", "start", VOL, "force", NULL})) {
		pthread_mutex_lock(&fake.mu);
		fake.start_forces++;
		pthread_mutex_unlock(&fake.mu);
		return answer(res, "start", NULL, 0);
	}
	if (argv_is(argv, a, (const char *const[]){"volume", "heal", VOL, "full", NULL})) {
		pthread_mutex_lock(&fake.mu);
		fake.heals++;
		pthread_mutex_unlock(&fake.mu);
		return answer(res, NULL, "Launching heal operation to perform full self heal on volume gv0 has "
				   "been successful \nUse heal info commands to check status.\n", 0);
	}
unexpected:
	pthread_mutex_lock(&fake.mu);
	fake.unexpected++;
	pthread_mutex_unlock(&fake.mu);
	diag("unexpected command: %s %s %s %s", argv[0], argv[1] ? argv[1] : "", argv[1] && argv[2] ? argv[2] : "",
	     argv[1] && argv[2] && argv[3] ? argv[3] : "");
	return answer(res, NULL, "", 1);
}

static void fake_run_free(struct clusterctl_run_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
	res->out_len = res->err_len = 0;
}

static void say(const char *tag, const char *fmt, va_list ap)
{
	printf("# %s: ", tag);
	vprintf(fmt, ap);
	printf("\n");
}

static void fake_log(void *ctx, int level, const char *fmt, ...)
{
	va_list ap;
	(void)ctx, (void)level;
	va_start(ap, fmt);
	say("log", fmt, ap);
	va_end(ap);
}

static char last_error[2048];

static void fake_error(void *ctx, const char *fmt, ...)
{
	va_list ap;
	(void)ctx;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	printf("# error: %s\n", last_error);
}

static const struct clusterctl_host host = {
	.struct_size = sizeof(struct clusterctl_host),
	.abi_major = CLUSTERCTL_PLUGIN_ABI_MAJOR,
	.log = fake_log,
	.error = fake_error,
	.run = fake_run,
	.run_result_free = fake_run_free,
};

/* ---- helpers ------------------------------------------------------------ */

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

static bool wait_idle(struct gl_ctl *c)
{
	for (int i = 0; i < 500; i++) {
		if (gl_ctl_busy(c) == 0)
			return true;
		sleep_ms(10);
	}
	return false;
}

/* The volume id in the recorded answers (the brick's tag). */
static char *recorded_volume_id(void)
{
	struct gx_volume v = fixture_volume("volume-info-started");
	char *id = v.id ? strdup(v.id) : NULL;
	gx_volume_free(&v);
	return id;
}

struct answer {
	int rc, waiting;
	bool new_record;   /* the plan handed the core a record to store */
	char *message, *brick, *payload;
};

/* One registration the way the core runs it: plan, then (the record
 * stored) the STORED event in the same turn. */
static struct answer plan_node(struct gl_ctl *c, const char *id, const char *ip, int capable, const char *observed,
			       char **record)
{
	struct clusterctl_node node = {.struct_size = sizeof node, .node_id = id, .hostname = id, .ip = ip,
				       .swarm_role = "manager", .storage_capable = capable, .record_json = *record};
	struct clusterctl_plan_in in = {.struct_size = sizeof in, .node = &node, .observed_json = observed,
					.options_json = "{}"};
	struct clusterctl_plan_out out = {.struct_size = sizeof out};
	struct answer a = {0};

	a.rc = gl_ctl_plan(c, &in, &out);
	if (a.rc == 0) {
		a.new_record = out.record_json != NULL;
		if (out.record_json) {
			free(*record);
			*record = out.record_json;
			out.record_json = NULL;
		}
		node.record_json = *record;
		gl_ctl_event(c, CLUSTERCTL_NODE_STORED, &node);
	}
	a.waiting = out.waiting;
	a.message = out.message ? out.message : strdup("");
	a.brick = out.storage_brick;
	a.payload = out.payload_json;
	free(out.record_json);
	free(out.storage_volume);
	free(out.storage_mount);
	return a;
}

static char *h2_record;

static struct answer plan_h2(struct gl_ctl *c, const char *observed)
{
	return plan_node(c, "h2", H2, 1, observed, &h2_record);
}

static void answer_free(struct answer *a)
{
	free(a->message);
	free(a->brick);
	free(a->payload);
}

static const struct gp_cfg cfg = {.volume = VOL, .mount = "/data/GlusterFS/0001", .replica = 3,
				  .brick_dir = "/data/glusterfs/bricks"};
static const char *const prepared = "{\"Glusterd\":true,\"BrickDir\":\"/data/glusterfs/bricks\","
				    "\"Brick\":\"/data/glusterfs/bricks/gv0\"}";

static void fake_reset(bool add_fails)
{
	pthread_mutex_lock(&fake.mu);
	fake.added = fake.gate_on = fake.gate_waiting = fake.gate_open = false;
	fake.add_fails = add_fails;
	fake.add_bricks = fake.heals = fake.start_forces = fake.unexpected = 0;
	pthread_mutex_unlock(&fake.mu);
}

/* The controller's first answer: it reads the volume and pool first. */
static struct gl_ctl *controller(void)
{
	struct gl_ctl *c = NULL;
	struct answer a;

	if (gl_ctl_new(&host, &cfg, &c) < 0)
		return NULL;
	free(h2_record);
	h2_record = NULL;
	gl_ctl_event(c, CLUSTERCTL_NODE_NODES_READY, NULL);
	a = plan_h2(c, prepared);
	ok(a.rc == 0 && a.waiting, "the first plan waits");
	like(a.message, "reading the GlusterFS state", "while the worker reads the volume and the pool");
	answer_free(&a);
	ok(wait_idle(c), "the first read ends");
	return c;
}

/* clusterctl node remove (ABI 1.1 forget): a node whose brick is in the
 * volume is not let go without --force, and the refusal says how to move
 * the brick; forced, the brick stays in the volume; a client goes. */
static void forget_brick_host(struct gl_ctl *c)
{
	struct clusterctl_node h2 = {.struct_size = sizeof h2, .node_id = "h2", .hostname = "h2", .ip = H2,
				     .swarm_role = "worker", .storage_capable = 1, .record_json = h2_record};
	struct clusterctl_node c9 = {.struct_size = sizeof c9, .node_id = "c9", .hostname = "c9", .ip = "198.51.100.79",
				     .swarm_role = "worker",
				     .record_json = "{\"Role\":\"client\",\"Host\":\"198.51.100.79\"}"};
	char *msg = NULL;

	last_error[0] = '\0';
	is_int(gl_ctl_forget(c, &h2, 0, &msg), -EPERM, "forget a brick host: refused without --force");
	like(last_error, "holds the brick " H2_BRICK " of volume gv0", "naming the brick");
	like(last_error, "gluster volume replace-brick gv0 " H2_BRICK " NEW-HOST:BRICK-DIR commit force",
	     "and how to move it");
	ok(msg == NULL, "no message with a refusal");
	is_int(gl_ctl_forget(c, &h2, CLUSTERCTL_FORGET_FORCE, &msg), 0, "with --force it is let go");
	like(msg, "stays in volume gv0 (forced; nothing deleted)", "and its brick stays in the volume");
	free(msg);
	msg = NULL;
	is_int(gl_ctl_forget(c, &c9, 0, &msg), 0, "a client is let go");
	like(msg, "nothing to move", "with nothing to move");
	free(msg);
	pthread_mutex_lock(&fake.mu);
	is_int(fake.unexpected, 0, "forget ran no gluster command");
	pthread_mutex_unlock(&fake.mu);
}

/* An add-brick that glusterd reports as failed but whose brick the
 * volume lists ("Commit failed on <peer>": the peer started no brick
 * process) is mended with `volume start force`, then healed. */
static void partial_commit(void)
{
	struct gl_ctl *c;
	struct answer a;

	fake_reset(true);
	if (!(c = controller()))
		return;
	a = plan_h2(c, prepared);
	like(a.message, "adding brick " H2_BRICK " to volume gv0 (replica 2)", "partial commit: add-brick queued");
	answer_free(&a);
	ok(wait_idle(c), "the worker finishes");
	pthread_mutex_lock(&fake.mu);
	is_int(fake.add_bricks, 1, "add-brick ran once and answered an error");
	is_int(fake.start_forces, 1, "the volume lists the brick: volume start gv0 force starts its process");
	is_int(fake.heals, 1, "then the full heal runs");
	pthread_mutex_unlock(&fake.mu);
	a = plan_h2(c, prepared);
	ok(a.rc == 0 && !a.waiting, "the next plan does not wait");
	like(a.message, "brick " H2_BRICK " is in volume gv0", "the brick is in the volume");
	ok(!strstr(a.message, "last attempt"), "and no failure is carried into the answer");
	answer_free(&a);
	forget_brick_host(c);
	gl_ctl_free(c);
	is_int(fake.unexpected, 0, "no other gluster command ran");
}

/* Plain clients (not GlusterCapable, no brick) are answered from the
 * answer cached for the snapshot: the same payload every time, the
 * record kept once stored, the same as a decision would give. */
static void clients(struct gl_ctl *c)
{
	char *rec1 = NULL, *rec2 = NULL;
	struct answer a = plan_node(c, "c1", "198.51.100.70", 0, "{}", &rec1), b;

	ok(a.rc == 0 && !a.waiting, "a client is answered at once");
	like(a.message, "client of GlusterFS volume gv0 (no brick: the node is not GlusterCapable)", "as a client");
	like(a.payload, "\"Step\":\"mount\"", "told to mount");
	like(a.payload, "\"Brick\":\"\"", "with no brick");
	ok(a.new_record && rec1 && strstr(rec1, "\"Role\":\"client\"") && strstr(rec1, "198.51.100.70"),
	   "its first answer stores a client record naming its address");
	b = plan_node(c, "c1", "198.51.100.70", 0, "{}", &rec1);
	ok(b.rc == 0 && !b.new_record, "a heartbeat keeps the stored record (nothing to copy)");
	is_str(b.payload, a.payload, "and gets the same payload");
	answer_free(&b);
	b = plan_node(c, "c2", "198.51.100.71", 0, "{\"BrickOnRoot\":true}", &rec2);
	is_str(b.payload, a.payload, "another client gets the same payload");
	ok(rec2 && strstr(rec2, "198.51.100.71") && !strstr(rec2, "\"OnRoot\":true"),
	   "its own record, without a brick's facts");
	answer_free(&b);
	/* h2 holds a brick: it is never a plain client, capable or not. */
	b = plan_node(c, "h2", H2, 0, "{}", &h2_record);
	like(b.message, "brick " H2_BRICK " is in volume gv0", "a brick node that stopped being capable keeps its brick");
	answer_free(&b);
	answer_free(&a);
	free(rec1);
	free(rec2);
}

int main(void)
{
	char *volid = recorded_volume_id(), *tagged = NULL;
	struct gl_ctl *c = NULL;
	struct answer a;
	bool gate_reached = false;

	if (!volid)
		return skip_all("the recorded gluster answers are missing (tests/fixtures/gluster)");
	if (asprintf(&tagged, "{\"Glusterd\":true,\"BrickDir\":\"/data/glusterfs/bricks\","
			      "\"Brick\":\"/data/glusterfs/bricks/gv0\",\"BrickVolumeId\":\"%s\"}",
		     volid) < 0)
		return 1;

	fake_reset(false);
	ok((c = controller()) != NULL, "controller created");
	if (!c)
		return done_testing();

	/* h2's brick is prepared and h2 is in the pool: the worker adds it. */
	pthread_mutex_lock(&fake.mu);
	fake.gate_on = true;
	pthread_mutex_unlock(&fake.mu);
	a = plan_h2(c, prepared);
	ok(a.rc == 0 && a.waiting, "a prepared brick of a peer in the pool: wait");
	like(a.message, "adding brick " H2_BRICK " to volume gv0 (replica 2)", "while add-brick replica 2 runs");
	answer_free(&a);

	/* Hold the worker at its first read after add-brick returned. */
	pthread_mutex_lock(&fake.mu);
	for (int i = 0; i < 1000 && !fake.gate_waiting; i++) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 10000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&fake.cv, &fake.mu, &t);
	}
	gate_reached = fake.gate_waiting;
	is_int(fake.add_bricks, 1, "add-brick ran once");
	is_int(fake.heals, 1, "then a full heal (the replica count grew)");
	pthread_mutex_unlock(&fake.mu);
	ok(gate_reached, "the worker reads the volume again after add-brick");

	/* The brick now carries the volume's id; the snapshot is older. */
	a = plan_h2(c, tagged);
	is_int(a.rc, 0, "a plan while the volume is read again");
	ok(a.waiting, "waits");
	ok(!strstr(a.message, "failed add-brick"), "and does not call the fresh brick's tag a failed add-brick's");
	if (strstr(a.message, "failed add-brick"))
		diag("got: %s", a.message);
	like(a.message, "waiting for another change of volume gv0", "it says a change is still under way");
	answer_free(&a);

	pthread_mutex_lock(&fake.mu);
	fake.gate_open = true;
	pthread_cond_broadcast(&fake.cv);
	pthread_mutex_unlock(&fake.mu);
	ok(wait_idle(c), "the worker goes idle once it has read the volume");

	a = plan_h2(c, tagged);
	ok(a.rc == 0 && !a.waiting, "the next plan does not wait");
	like(a.message, "brick " H2_BRICK " is in volume gv0", "the brick is in the volume");
	is_str(a.brick, "/data/glusterfs/bricks/gv0", "and h2 keeps its brick");
	answer_free(&a);

	clients(c);
	gl_ctl_free(c);
	is_int(fake.add_bricks, 1, "add-brick ran once in all");
	is_int(fake.unexpected, 0, "no other gluster command ran");
	free(tagged);
	free(volid);

	partial_commit();
	free(h2_record);
	return done_testing();
}
