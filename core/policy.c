#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "protocol.h"

bool policy_slot_busy(const struct policy_cfg *cfg, const struct policy_view *view, const char *key,
		      int64_t now_ms)
{
	if (!view->slot_holder || !*view->slot_holder || strcmp(view->slot_holder, key) == 0)
		return false;
	/* A manager that never reports back must not block the others for
	 * ever: the slot lapses after --manager-join-timeout. */
	return now_ms - view->slot_granted_ms < cfg->manager_join_timeout_ms;
}

static int assign_role(const struct policy_cfg *cfg, const struct policy_view *view,
		       const struct policy_node *prev, const struct policy_input *in, bool *capped)
{
	*capped = false;
	if (in->requested_role != PROTO_ROLE_MANAGER)
		return PROTO_ROLE_WORKER;
	/* A decision already made for the same request stays: a node told
	 * "worker" because of the cap keeps that answer, and a manager
	 * keeps its seat even when the cap was lowered since. */
	if (prev->known && prev->requested_role == in->requested_role) {
		*capped = prev->assigned_role != PROTO_ROLE_MANAGER;
		return prev->assigned_role;
	}
	if (view->managers >= cfg->max_managers) {
		*capped = true;
		return PROTO_ROLE_WORKER;
	}
	return PROTO_ROLE_MANAGER;
}

void policy_decide(const struct policy_cfg *cfg, const struct policy_view *view,
		   const struct policy_node *prev, const struct policy_input *in,
		   struct policy_decision *out)
{
	memset(out, 0, sizeof *out);
	out->assigned_role = assign_role(cfg, view, prev, in, &out->capped);
	out->managers = view->managers + (out->assigned_role == PROTO_ROLE_MANAGER);
	out->workers = view->workers + (out->assigned_role == PROTO_ROLE_WORKER);
	out->formed = view->formed;
	out->status = PROTO_READY;
	out->reason = POLICY_OK;

	if (out->capped)
		snprintf(out->message, sizeof out->message,
			 "joining as a worker: the cluster already has the maximum of %u managers "
			 "(--max-managers)",
			 cfg->max_managers);

	/* Gating: the registering node is counted first; once both
	 * thresholds are met the cluster stays formed. */
	if (cfg->wait_for_minimum && !view->formed) {
		if (out->managers >= cfg->min_managers && out->workers >= cfg->min_workers) {
			out->formed = out->formed_now = true;
		} else {
			out->status = PROTO_WAITING;
			out->reason = POLICY_WAIT_MINIMUM;
			out->retry_after = 5;
			snprintf(out->message, sizeof out->message,
				 "waiting for the minimum cluster size: %u/%u managers and %u/%u workers "
				 "registered",
				 out->managers, cfg->min_managers, out->workers, cfg->min_workers);
			return;
		}
	}

	if (out->assigned_role != PROTO_ROLE_MANAGER)
		return;
	if (in->reachable_manager) {
		/* Already a reachable manager: it needs no slot, and if it
		 * held one, its report frees it for the next manager. */
		if (view->slot_holder && strcmp(view->slot_holder, in->key) == 0)
			out->slot = SLOT_RELEASE;
		return;
	}
	if (policy_slot_busy(cfg, view, in->key, in->now_ms)) {
		int64_t left = cfg->manager_join_timeout_ms - (in->now_ms - view->slot_granted_ms);
		unsigned secs = (unsigned)((left + 999) / 1000);
		out->status = PROTO_WAITING;
		out->reason = POLICY_WAIT_MANAGER_SLOT;
		out->retry_after = secs < 1 ? 1 : secs > 5 ? 5 : secs;
		snprintf(out->message, sizeof out->message,
			 "another manager is joining the swarm; managers join one at a time (at most "
			 "%u s more, until it reports a reachable manager)",
			 secs);
		return;
	}
	out->slot = SLOT_GRANT;
	/* The holder asking again keeps its original deadline, so it cannot
	 * keep the slot for ever by re-registering. */
	if (view->slot_holder && strcmp(view->slot_holder, in->key) == 0 &&
	    in->now_ms - view->slot_granted_ms < cfg->manager_join_timeout_ms)
		out->slot_granted_ms = view->slot_granted_ms;
	else
		out->slot_granted_ms = in->now_ms;
}
