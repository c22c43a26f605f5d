/* Policy: gating thresholds and their persistence, the manager cap, and
 * managers joining one at a time. */
#include "autoconfig.h"

#include <string.h>

#include "../tap.h"
#include "policy.h"
#include "protocol.h"

#define SEC 1000

static struct policy_cfg cfg_default(void)
{
	struct policy_cfg c = {.wait_for_minimum = false, .min_managers = 0, .min_workers = 0,
			       .max_managers = 7, .manager_join_timeout_ms = 120 * SEC};
	return c;
}

static void decide(const struct policy_cfg *c, const struct policy_view *v, const struct policy_node *p,
		   const char *key, int role, bool reachable, int64_t now, struct policy_decision *d)
{
	struct policy_input in = {.key = key, .requested_role = role, .reachable_manager = reachable,
				  .now_ms = now};
	policy_decide(c, v, p, &in, d);
}

static void test_default_ready(void)
{
	struct policy_cfg c = cfg_default();
	struct policy_view v = {0};
	struct policy_node p = {0};
	struct policy_decision d;

	decide(&c, &v, &p, "host:w1", PROTO_ROLE_WORKER, false, 0, &d);
	is_int(d.status, PROTO_READY, "without --wait-for-minimum a worker is ready at once");
	is_int(d.assigned_role, PROTO_ROLE_WORKER, "worker stays worker");
	is_int(d.workers, 1, "the node is counted");
	c.min_workers = 5; /* thresholds without the flag mean nothing */
	decide(&c, &v, &p, "host:w1", PROTO_ROLE_WORKER, false, 0, &d);
	is_int(d.status, PROTO_READY, "thresholds alone do not gate");
}

static void test_gating(void)
{
	struct policy_cfg c = cfg_default();
	struct policy_view v = {0};
	struct policy_node p = {0};
	struct policy_decision d;

	c.wait_for_minimum = true;
	c.min_managers = 1;
	c.min_workers = 2;

	decide(&c, &v, &p, "host:w1", PROTO_ROLE_WORKER, false, 0, &d);
	is_int(d.status, PROTO_WAITING, "first worker waits");
	is_int(d.reason, POLICY_WAIT_MINIMUM, "because of the minimum");
	ok(d.workers == 1 && d.managers == 0, "counts include the node (0 managers, 1 worker)");
	like(d.message, "0/1 managers and 1/2 workers", "message gives counts and thresholds");
	ok(d.retry_after > 0, "RetryAfter suggested");
	ok(!d.formed && !d.formed_now, "not formed");

	v.workers = 1;
	decide(&c, &v, &p, "host:w2", PROTO_ROLE_WORKER, false, 0, &d);
	is_int(d.status, PROTO_WAITING, "workers met, managers not: still waiting");

	v.workers = 2;
	decide(&c, &v, &p, "host:m1", PROTO_ROLE_MANAGER, false, 0, &d);
	is_int(d.status, PROTO_READY, "the node that meets both thresholds is ready");
	ok(d.formed && d.formed_now, "and forms the cluster");
	is_int(d.slot, SLOT_GRANT, "the first manager takes the join slot");

	/* Formed is persistent: fewer counts later do not send anyone back. */
	v.formed = true;
	v.managers = 0;
	v.workers = 0;
	decide(&c, &v, &p, "host:w9", PROTO_ROLE_WORKER, false, 0, &d);
	is_int(d.status, PROTO_READY, "once formed, later requests are ready");
	ok(d.formed && !d.formed_now, "formed stays, no new transition");

	/* Re-registration of an already counted node: the caller passes
	 * counts without it, so it is never counted twice. */
	v.formed = false;
	v.managers = 0;
	v.workers = 1; /* w1 itself excluded, w2 counted */
	p.known = true;
	p.requested_role = p.assigned_role = PROTO_ROLE_WORKER;
	decide(&c, &v, &p, "host:w1", PROTO_ROLE_WORKER, false, 0, &d);
	is_int(d.workers, 2, "re-registration counts the node once");

	c.min_managers = 0;
	c.min_workers = 0;
	v.formed = false;
	v.workers = 0;
	p.known = false;
	decide(&c, &v, &p, "host:x", PROTO_ROLE_WORKER, false, 0, &d);
	ok(d.status == PROTO_READY && d.formed_now, "zero thresholds form at the first node");
}

static void test_cap(void)
{
	struct policy_cfg c = cfg_default();
	struct policy_view v = {0};
	struct policy_node p = {0};
	struct policy_decision d;

	c.max_managers = 3;
	v.managers = 2;
	decide(&c, &v, &p, "host:m3", PROTO_ROLE_MANAGER, false, 0, &d);
	is_int(d.assigned_role, PROTO_ROLE_MANAGER, "third manager under a cap of 3 is a manager");
	ok(!d.capped, "not capped");

	v.managers = 3;
	decide(&c, &v, &p, "host:m4", PROTO_ROLE_MANAGER, false, 0, &d);
	is_int(d.assigned_role, PROTO_ROLE_WORKER, "fourth manager becomes a worker");
	ok(d.capped, "capped");
	like(d.message, "maximum of 3 managers", "Message says why");
	is_int(d.status, PROTO_READY, "and is ready (as a worker)");
	ok(d.slot == SLOT_KEEP, "a capped node takes no manager slot");
	is_int(d.workers, 1, "counted as a worker");

	/* The decision is persisted: the same request gets the same answer
	 * even when a seat frees up. */
	p.known = true;
	p.requested_role = PROTO_ROLE_MANAGER;
	p.assigned_role = PROTO_ROLE_WORKER;
	v.managers = 1;
	decide(&c, &v, &p, "host:m4", PROTO_ROLE_MANAGER, false, 0, &d);
	is_int(d.assigned_role, PROTO_ROLE_WORKER, "a capped node stays a worker");
	/* A manager keeps its seat after the cap was lowered. */
	p.assigned_role = PROTO_ROLE_MANAGER;
	v.managers = 5;
	decide(&c, &v, &p, "host:m1", PROTO_ROLE_MANAGER, true, 0, &d);
	is_int(d.assigned_role, PROTO_ROLE_MANAGER, "an existing manager keeps its role");
	/* Asking for another role is a new request. */
	p.requested_role = PROTO_ROLE_WORKER;
	p.assigned_role = PROTO_ROLE_WORKER;
	v.managers = 0;
	decide(&c, &v, &p, "host:m4", PROTO_ROLE_MANAGER, false, 0, &d);
	is_int(d.assigned_role, PROTO_ROLE_MANAGER, "a worker asking to be manager is decided anew");
}

static void test_serialisation(void)
{
	struct policy_cfg c = cfg_default();
	struct policy_view v = {0};
	struct policy_node p = {0};
	struct policy_decision d;

	decide(&c, &v, &p, "host:m1", PROTO_ROLE_MANAGER, false, 1000 * SEC, &d);
	ok(d.status == PROTO_READY && d.slot == SLOT_GRANT, "first manager gets the slot");
	is_int(d.slot_granted_ms, 1000 * SEC, "granted now");

	v.slot_holder = "host:m1";
	v.slot_granted_ms = 1000 * SEC;
	v.managers = 1;
	decide(&c, &v, &p, "host:m2", PROTO_ROLE_MANAGER, false, 1010 * SEC, &d);
	is_int(d.status, PROTO_WAITING, "second manager waits while the first joins");
	is_int(d.reason, POLICY_WAIT_MANAGER_SLOT, "because of the slot");
	ok(d.retry_after >= 1 && d.retry_after <= 5, "RetryAfter 1..5 (%u)", d.retry_after);
	like(d.message, "managers join one at a time", "Message says why");
	is_int(d.managers, 2, "the waiting manager is still registered and counted");

	decide(&c, &v, &p, "host:w1", PROTO_ROLE_WORKER, false, 1010 * SEC, &d);
	is_int(d.status, PROTO_READY, "workers do not wait for the manager slot");

	/* The holder asks again before it has joined: it keeps the slot
	 * with its original deadline. */
	decide(&c, &v, &p, "host:m1", PROTO_ROLE_MANAGER, false, 1050 * SEC, &d);
	ok(d.status == PROTO_READY && d.slot == SLOT_GRANT && d.slot_granted_ms == 1000 * SEC,
	   "holder re-asking keeps its original deadline");

	/* The holder reports a reachable manager: slot released. */
	decide(&c, &v, &p, "host:m1", PROTO_ROLE_MANAGER, true, 1060 * SEC, &d);
	ok(d.status == PROTO_READY && d.slot == SLOT_RELEASE, "a reachable manager releases the slot");
	v.slot_holder = NULL;
	decide(&c, &v, &p, "host:m2", PROTO_ROLE_MANAGER, false, 1061 * SEC, &d);
	ok(d.status == PROTO_READY && d.slot == SLOT_GRANT && d.slot_granted_ms == 1061 * SEC,
	   "the next manager gets the freed slot");

	/* Timeout: the holder never reports back. */
	v.slot_holder = "host:m2";
	v.slot_granted_ms = 2000 * SEC;
	decide(&c, &v, &p, "host:m3", PROTO_ROLE_MANAGER, false, 2119 * SEC, &d);
	is_int(d.status, PROTO_WAITING, "before the timeout the next manager waits");
	ok(d.retry_after == 1, "RetryAfter shrinks to the time left (%u)", d.retry_after);
	decide(&c, &v, &p, "host:m3", PROTO_ROLE_MANAGER, false, 2120 * SEC, &d);
	ok(d.status == PROTO_READY && d.slot == SLOT_GRANT && d.slot_granted_ms == 2120 * SEC,
	   "after --manager-join-timeout the slot passes on");
	ok(!policy_slot_busy(&c, &v, "host:m3", 2120 * SEC), "slot not busy after the timeout");
	ok(policy_slot_busy(&c, &v, "host:m3", 2100 * SEC), "slot busy before it");
	ok(!policy_slot_busy(&c, &v, "host:m2", 2100 * SEC), "never busy for its own holder");

	/* An already reachable manager needs no slot even while it is busy. */
	decide(&c, &v, &p, "host:m9", PROTO_ROLE_MANAGER, true, 2001 * SEC, &d);
	ok(d.status == PROTO_READY && d.slot == SLOT_KEEP, "a reachable manager is ready without the slot");

	/* Gating first: while waiting for the minimum nobody takes the slot. */
	c.wait_for_minimum = true;
	c.min_managers = 3;
	v.slot_holder = NULL;
	v.managers = 0;
	decide(&c, &v, &p, "host:m1", PROTO_ROLE_MANAGER, false, 3000 * SEC, &d);
	ok(d.status == PROTO_WAITING && d.slot == SLOT_KEEP, "gating waits before any slot is granted");
}

int main(void)
{
	test_default_ready();
	test_gating();
	test_cap();
	test_serialisation();
	return done_testing();
}
