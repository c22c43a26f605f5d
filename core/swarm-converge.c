#include "autoconfig.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cc-buf.h"
#include "log.h"
#include "swarm-converge.h"
#include "util.h"

static bool same_host(const char *a, const char *b)
{
	size_t la = strcspn(a, ":"), lb = strcspn(b, ":");
	return la == lb && strncmp(a, b, la) == 0;
}

/* A worker cannot see the cluster id; the managers it knows tell which
 * swarm it is in.  The controller's manager is always one of them. */
static bool in_target_swarm(const struct docker_info *i, const struct swarm_target *t)
{
	if (i->node_addr && same_host(i->node_addr, t->manager_addr))
		return true;
	for (size_t k = 0; k < i->n_remote_managers; k++)
		if (same_host(i->remote_managers[k], t->manager_addr))
			return true;
	return false;
}

static const char *state_of(const struct docker_info *i)
{
	return i->local_state && *i->local_state ? i->local_state : "inactive";
}

char *swarm_observed_json(const struct docker_info *i)
{
	json_object *o = json_object_new_object();
	char *res;
	json_object_object_add(o, "NodeID", json_object_new_string(i->node_id ? i->node_id : ""));
	json_object_object_add(o, "LocalNodeState", json_object_new_string(state_of(i)));
	json_object_object_add(o, "ControlAvailable", json_object_new_boolean(i->control_available));
	json_object_object_add(o, "ClusterID", json_object_new_string(i->cluster_id ? i->cluster_id : ""));
	json_object_object_add(o, "NodeAddr", json_object_new_string(i->node_addr ? i->node_addr : ""));
	res = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return res;
}

void swarm_plan(const struct docker_info *i, const struct swarm_target *t, char **plan)
{
	const char *st = state_of(i);
	bool mgr = strcmp(t->role, "manager") == 0;

	if (strcmp(st, "inactive") == 0)
		*plan = cc_strdupf("join the swarm at %s as %s, advertising %s", t->manager_addr, t->role, t->advertise);
	else if (strcmp(st, "pending") == 0)
		*plan = cc_strdupf("leave the unfinished join (pending), then join %s as %s", t->manager_addr, t->role);
	else if (strcmp(st, "locked") == 0)
		*plan = cc_strdupf("nothing: the local swarm is locked and must be unlocked first");
	else if (strcmp(st, "error") == 0)
		*plan = cc_strdupf("leave the swarm in error (%s), then join %s", i->error ? i->error : "", t->manager_addr);
	else if (!in_target_swarm(i, t))
		*plan = cc_strdupf("%s: this node is in another swarm", t->force ? "leave it (--force) and join" : "stop");
	else if (mgr == i->control_available)
		*plan = cc_strdupf("nothing: already a %s of this swarm", t->role);
	else
		*plan = cc_strdupf("ask the controller to %s this node", mgr ? "promote" : "demote");
}

static int do_join(struct docker *d, const struct swarm_target *t, char **err)
{
	struct docker_swarm_params p = {.listen_addr = "0.0.0.0:2377", .advertise_addr = t->advertise,
					.data_path_addr = t->advertise};
	char *e = NULL;
	int r;

	log_info("joining swarm manager=%s role=%s advertise=%s", t->manager_addr, t->role, t->advertise);
	r = docker_swarm_join(d, &p, t->manager_addr, t->token, &e);
	if (r == 0) {
		log_info("swarm joined manager=%s role=%s", t->manager_addr, t->role);
		free(e);
		return SWARM_CHANGED;
	}
	if (r == -ETIMEDOUT) {
		/* Docker keeps trying in the background and leaves the node
		 * pending; the next round leaves and joins again. */
		log_warn("swarm join timed out, will retry: %s", e ? e : "manager unreachable");
		free(e);
		return SWARM_RETRY;
	}
	*err = cc_strdupf("swarm join failed: %s", e ? e : strerror(-r));
	free(e);
	return r;
}

static int do_leave(struct docker *d, bool force, const char *why, char **err)
{
	char *e = NULL;
	int r;
	log_info("leaving swarm reason=\"%s\" force=%s", why, force ? "true" : "false");
	r = docker_swarm_leave(d, force, &e);
	if (r < 0) {
		*err = cc_strdupf("swarm leave failed: %s", e ? e : strerror(-r));
		free(e);
		return r;
	}
	return 0;
}

int swarm_converge(struct docker *d, const struct swarm_target *t, char **err)
{
	struct docker_info i = {0};
	char *e = NULL;
	const char *st;
	bool want_mgr = strcmp(t->role, "manager") == 0;
	int r;

	if ((r = docker_get_info(d, &i, &e)) < 0) {
		*err = cc_strdupf("cannot read the swarm state: %s", e ? e : strerror(-r));
		free(e);
		return r;
	}
	st = state_of(&i);
	if (strcmp(st, "inactive") == 0) {
		r = do_join(d, t, err);
	} else if (strcmp(st, "pending") == 0) {
		r = do_leave(d, false, "an earlier join did not finish (pending)", err);
		if (r == 0)
			r = do_join(d, t, err);
	} else if (strcmp(st, "locked") == 0) {
		*err = cc_strdupf("the swarm on this node is locked (autolock after a restart): unlock it with "
			    "'docker swarm unlock' and run node join again");
		r = -EACCES;
	} else if (strcmp(st, "error") == 0) {
		log_error("swarm is in error on this node: %s", i.error && *i.error ? i.error : "no detail");
		r = do_leave(d, true, "swarm in error", err);
		if (r == 0)
			r = SWARM_RETRY;
	} else if (strcmp(st, "active") != 0) {
		*err = cc_strdupf("Docker reports an unknown swarm state \"%.32s\"", st);
		r = -EPROTO;
	} else if (!in_target_swarm(&i, t)) {
		if (!t->force) {
			*err = cc_strdupf("this node is already part of another swarm (node %s, managers %s); run with "
				    "--force to leave it and join this cluster",
				    i.node_id ? i.node_id : "?",
				    i.n_remote_managers ? i.remote_managers[0] : "unknown");
			r = -EEXIST;
		} else {
			r = do_leave(d, true, "member of another swarm, --force given", err);
			if (r == 0)
				r = do_join(d, t, err);
		}
	} else if (want_mgr == i.control_available) {
		if (i.node_addr && *i.node_addr && !same_host(i.node_addr, t->advertise))
			log_warn("swarm advertises another address than this node's node_addr=%s wanted=%s "
				 "(leave and join again to change it)",
				 i.node_addr, t->advertise);
		log_info("swarm membership already as asked role=%s node=%s", t->role, i.node_id);
		r = SWARM_UNCHANGED;
	} else {
		/* Only a manager can change roles: the controller does it when
		 * it sees this node's report. */
		log_info("role differs from the controller's decision, waiting for it to %s this node",
			 want_mgr ? "promote" : "demote");
		r = SWARM_RETRY;
	}
	docker_info_free(&i);
	return r;
}
