/* clusterctl state check | dump | salvage: the controller's state
 * directory looked at, and recovered, with the controller stopped (check
 * and dump also work beside a running one: they read, take no lock and
 * write nothing).  The loading is state-store.c's own, in its INSPECT and
 * SALVAGE modes, so what these commands say is what master serve would
 * do.  Exit 0: the state verifies (a torn tail is normal after a crash:
 * master serve drops it); 1: damage, or the files cannot be read. */
#include "autoconfig.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app.h"
#include "log.h"
#include "protocol.h"
#include "state-store.h"

static const char *const file_names[2] = {"state.snap", "state.log"};

static const struct store_file_report *file_rep(const struct store_report *rep, int i)
{
	return i == 0 ? &rep->snap : &rep->log;
}

static bool damaged(const struct store_report *rep) { return rep->snap.ndamage || rep->log.ndamage; }

static void utc(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "unknown");
}

/* One line per file, one per damaged stretch, one for a torn tail. */
static void print_files(const struct store_report *rep)
{
	for (int i = 0; i < 2; i++) {
		const struct store_file_report *f = file_rep(rep, i);
		char when[32];
		if (!f->present) {
			printf("%s: absent\n", file_names[i]);
			continue;
		}
		if (!f->format) {
			printf("%s: %llu bytes, not a clusterctl state file (bad header)\n", file_names[i],
			       (unsigned long long)f->bytes);
			continue;
		}
		utc(f->written_ms, when, sizeof when);
		printf("%s: format %u, generation %llu, %llu bytes, %llu records", file_names[i], f->format,
		       (unsigned long long)f->generation, (unsigned long long)f->bytes,
		       (unsigned long long)f->records);
		if (f->writer)
			printf(", written by %s at %s", f->writer, when);
		if (i == 1 && !f->replayed)
			printf(" (older than the image, which holds all of it: not replayed)");
		printf("\n");
		for (size_t k = 0; k < f->ndamage; k++)
			printf("%s: DAMAGED at byte %llu (%llu bytes): %s\n", file_names[i],
			       (unsigned long long)f->damage[k].offset, (unsigned long long)f->damage[k].length,
			       f->damage[k].why);
		if (f->torn_bytes)
			printf("%s: torn tail at byte %llu (%llu bytes): an unfinished last write, never "
			       "acknowledged; master serve drops it\n",
			       file_names[i], (unsigned long long)f->torn_at, (unsigned long long)f->torn_bytes);
	}
}

/* Open for reading; prints and returns an exit status on failure. */
static int inspect(const char *dir, struct state_store **s, struct store_report *rep)
{
	char *err = NULL;
	int r = state_store_open_mode(dir, STORE_INSPECT, s, rep, &err);
	if (r < 0) {
		log_error("cannot inspect the state in %s: %s", dir, err ? err : strerror(-r));
		free(err);
		return EXIT_FAILURE_;
	}
	return -1;
}

int cmd_state_check(struct app *a)
{
	const char *dir = a->cfg.state_dir;
	struct store_report rep;
	struct state_store *s;
	unsigned mg, wk;
	int rc;

	if ((rc = inspect(dir, &s, &rep)) >= 0)
		return rc;
	print_files(&rep);
	state_store_counts(s, &mg, &wk);
	if (damaged(&rep)) {
		if (!rep.cluster_record)
			printf("no cluster record (formed, manager slot) verifies\n");
		printf("DAMAGED: master serve will not start on %s.  What verifies: %zu nodes (%u managers, %u "
		       "workers).  To keep every record that verifies and start a new generation, stop the "
		       "controller and run: clusterctl state salvage --state-dir %s\n",
		       dir, state_store_count(s), mg, wk, dir);
		rc = EXIT_FAILURE_;
	} else if (!rep.snap.present && !rep.log.present) {
		printf("empty: no state stored in %s yet\n", dir);
		rc = EXIT_OK;
	} else {
		printf("clean: %zu nodes (%u managers, %u workers), cluster %s\n", state_store_count(s), mg, wk,
		       state_store_meta(s)->formed ? "formed" : "not formed yet");
		rc = EXIT_OK;
	}
	store_report_free(&rep);
	state_store_close(s, false, NULL);
	return rc;
}

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

/* A plugin's record is JSON text: as JSON when it parses, else as text. */
static json_object *slot_json(const struct node_rec *r, int i)
{
	json_object *o, *rec = NULL;
	if (!r->slot[i].plugin && !r->slot[i].record)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "Plugin", str_or_null(r->slot[i].plugin));
	if (r->slot[i].record && !(rec = json_tokener_parse(r->slot[i].record)))
		rec = json_object_new_string(r->slot[i].record);
	json_object_object_add(o, "Record", rec);
	return o;
}

static json_object *node_json(const struct node_rec *r)
{
	json_object *o = json_object_new_object(), *sw = json_object_new_object();
	json_object_object_add(o, "Key", json_object_new_string(r->key));
	json_object_object_add(o, "NodeID", json_object_new_string(r->node_id));
	json_object_object_add(o, "Hostname", json_object_new_string(r->hostname));
	json_object_object_add(o, "IP", json_object_new_string(r->ip));
	json_object_object_add(o, "OS", json_object_new_string(r->os));
	json_object_object_add(o, "DockerVersion", json_object_new_string(r->docker_version));
	json_object_object_add(o, "Timestamp", json_object_new_string(r->timestamp));
	json_object_object_add(o, "CPU", json_object_new_int64(r->cpu));
	json_object_object_add(o, "Memory", json_object_new_int64(r->memory));
	json_object_object_add(o, "RequestedRole", json_object_new_string(proto_role_name(r->requested_role)));
	json_object_object_add(o, "Role", json_object_new_string(proto_role_name(r->assigned_role)));
	json_object_object_add(o, "LastStatus", json_object_new_string(proto_status_name(r->last_status)));
	json_object_object_add(o, "GlusterCapable", json_object_new_boolean(r->gluster_capable));
	json_object_object_add(sw, "Reported", json_object_new_boolean(r->swarm_reported));
	json_object_object_add(sw, "ControlAvailable", json_object_new_boolean(r->swarm_control_available));
	json_object_object_add(sw, "NodeID", json_object_new_string(r->swarm_node_id));
	json_object_object_add(sw, "State", json_object_new_string(r->swarm_state));
	json_object_object_add(sw, "ClusterID", json_object_new_string(r->swarm_cluster_id));
	json_object_object_add(o, "Swarm", sw);
	json_object_object_add(o, "FirstSeenMs", json_object_new_int64(r->first_seen_ms));
	json_object_object_add(o, "LastSeenMs", json_object_new_int64(r->last_seen_ms));
	json_object_object_add(o, "Overlay", slot_json(r, STORE_SLOT_OVERLAY));
	json_object_object_add(o, "Storage", slot_json(r, STORE_SLOT_STORAGE));
	return o;
}

static json_object *file_json(const struct store_file_report *f, const char *name)
{
	json_object *o = json_object_new_object(), *dmg = json_object_new_array();
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "Present", json_object_new_boolean(f->present));
	json_object_object_add(o, "Format", json_object_new_int((int)f->format));
	json_object_object_add(o, "Generation", json_object_new_int64((int64_t)f->generation));
	json_object_object_add(o, "Bytes", json_object_new_int64((int64_t)f->bytes));
	json_object_object_add(o, "Records", json_object_new_int64((int64_t)f->records));
	json_object_object_add(o, "Writer", str_or_null(f->writer));
	json_object_object_add(o, "Replayed", json_object_new_boolean(f->replayed));
	json_object_object_add(o, "TornAt", f->torn_bytes ? json_object_new_int64((int64_t)f->torn_at) : NULL);
	for (size_t k = 0; k < f->ndamage; k++) {
		json_object *d = json_object_new_object();
		json_object_object_add(d, "Offset", json_object_new_int64((int64_t)f->damage[k].offset));
		json_object_object_add(d, "Length", json_object_new_int64((int64_t)f->damage[k].length));
		json_object_object_add(d, "Why", json_object_new_string(f->damage[k].why));
		json_object_array_add(dmg, d);
	}
	json_object_object_add(o, "Damage", dmg);
	return o;
}

int cmd_state_dump(struct app *a)
{
	const char *dir = a->cfg.state_dir;
	const struct cluster_meta *m;
	struct store_report rep;
	struct state_store *s;
	int rc;

	if ((rc = inspect(dir, &s, &rep)) >= 0)
		return rc;
	m = state_store_meta(s);
	if (a->cfg.json) {
		json_object *root = json_object_new_object(), *files = json_object_new_array(),
			    *cl = json_object_new_object(), *nodes = json_object_new_array();
		json_object_object_add(root, "StateDir", json_object_new_string(dir));
		json_object_array_add(files, file_json(&rep.snap, file_names[0]));
		json_object_array_add(files, file_json(&rep.log, file_names[1]));
		json_object_object_add(root, "Files", files);
		json_object_object_add(cl, "Formed", json_object_new_boolean(m->formed));
		json_object_object_add(cl, "SlotHolder", str_or_null(m->slot_holder));
		json_object_object_add(cl, "SlotGrantedMs", json_object_new_int64(m->slot_granted_ms));
		json_object_object_add(root, "Cluster", cl);
		for (size_t i = 0; i < state_store_count(s); i++)
			json_object_array_add(nodes, node_json(state_store_node(s, i)));
		json_object_object_add(root, "Nodes", nodes);
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else {
		print_files(&rep);
		printf("cluster: %s, manager slot %s\n", m->formed ? "formed" : "not formed",
		       m->slot_holder ? m->slot_holder : "free");
		for (size_t i = 0; i < state_store_count(s); i++) {
			const struct node_rec *r = state_store_node(s, i);
			printf("%s hostname=%s ip=%s role=%s status=%s overlay=%s storage=%s\n", r->key, r->hostname,
			       r->ip, proto_role_name(r->assigned_role), proto_status_name(r->last_status),
			       r->slot[0].record ? r->slot[0].record : "-", r->slot[1].record ? r->slot[1].record : "-");
		}
	}
	rc = damaged(&rep) ? EXIT_FAILURE_ : EXIT_OK;
	if (rc != EXIT_OK)
		log_error("the state in %s is damaged: the dump holds the records that verify; see clusterctl "
			  "state check --state-dir %s",
			  dir, dir);
	store_report_free(&rep);
	state_store_close(s, false, NULL);
	return rc;
}

int cmd_state_salvage(struct app *a)
{
	const char *dir = a->cfg.state_dir;
	struct store_report rep;
	struct state_store *s;
	char *err = NULL;
	unsigned mg, wk;
	int rc, r;

	/* A clean state is left alone: a salvage would only add copies. */
	if ((rc = inspect(dir, &s, &rep)) >= 0)
		return rc;
	state_store_close(s, false, NULL);
	if (!damaged(&rep)) {
		printf("nothing to salvage: the state in %s verifies (clusterctl state check says more)\n", dir);
		store_report_free(&rep);
		return EXIT_OK;
	}
	store_report_free(&rep);
	r = state_store_open_mode(dir, STORE_SALVAGE, &s, &rep, &err);
	if (r < 0) {
		log_error("cannot salvage the state in %s: %s", dir, err ? err : strerror(-r));
		free(err);
		store_report_free(&rep);
		return EXIT_FAILURE_;
	}
	for (int i = 0; i < 2; i++) {
		const struct store_file_report *f = file_rep(&rep, i);
		for (size_t k = 0; k < f->ndamage; k++)
			printf("dropped %s bytes %llu to %llu (%llu bytes): %s\n", file_names[i],
			       (unsigned long long)f->damage[k].offset,
			       (unsigned long long)(f->damage[k].offset + f->damage[k].length),
			       (unsigned long long)f->damage[k].length, f->damage[k].why);
		if (f->torn_bytes)
			printf("dropped %s bytes %llu to the end: a torn last write\n", file_names[i],
			       (unsigned long long)f->torn_at);
		if (rep.kept[i])
			printf("kept the original %s as %s\n", file_names[i], rep.kept[i]);
	}
	if (!rep.cluster_record)
		printf("WARNING: no cluster record verified: the cluster now counts as not formed and the manager "
		       "slot as free (with --wait-for-minimum, nodes are told to wait until the minimum has "
		       "registered again)\n");
	state_store_counts(s, &mg, &wk);
	printf("new generation written in %s: %zu nodes (%u managers, %u workers), cluster %s.  A node whose "
	       "record was dropped is registered again, as new, when it next checks in.\n",
	       dir, state_store_count(s), mg, wk, state_store_meta(s)->formed ? "formed" : "not formed");
	log_info("state salvaged dir=%s nodes=%zu dropped_bytes=%llu", dir, state_store_count(s),
		 (unsigned long long)(rep.snap.dropped_bytes + rep.log.dropped_bytes));
	store_report_free(&rep);
	state_store_close(s, false, NULL);
	return EXIT_OK;
}
