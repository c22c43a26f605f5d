/* `clusterctl status`: the cluster as the controller knows it.  Asks the
 * controller over its own port ({"Query":"status","JoinSecret":...}, see
 * doc/controller-protocol.md) through the one controller client
 * (ctl-client.c) and prints a table, or the checked answer as JSON with
 * --json. */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "app.h"
#include "cc-buf.h"
#include "ctl-client.h"
#include "join-secret.h"
#include "tls.h"
#include "log.h"
#include "provider-status.h"
#include "status-health.h"

#define STATUS_TIMEOUT_MS 10000

/* Text from the network printed on a terminal: printable ASCII only. */
static void put_cell(const char *s, int width)
{
	int n = 0;
	for (; *s && n < 64; s++, n++)
		putchar((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?');
	for (; n < width; n++)
		putchar(' ');
	putchar(' ');
}

static const char *or_empty(const char *s) { return s ? s : ""; }

static void print_table(const struct ctl_status *st)
{
	bool formed = st->cluster_formed, wait = st->wait_for_minimum;

	printf("Cluster: %s", !wait || formed ? "ready" : "waiting");
	if (wait)
		printf(" (minimum %lld managers, %lld workers%s)", st->min_managers, st->min_workers,
		       formed ? "; formed" : "; not formed yet");
	printf("\nRegistered: %lld managers, %lld workers (at most %lld managers)\n", st->registered_managers,
	       st->registered_workers, st->max_managers);
	printf("Overlay: ");
	put_cell(or_empty(st->overlay_type), 0);
	printf(" Storage: ");
	put_cell(or_empty(st->storage_type), 0);
	printf(" Swarm manager: ");
	put_cell(st->swarm_manager_addr && *st->swarm_manager_addr ? st->swarm_manager_addr : "(unknown)", 0);
	if (!st->tokens_available)
		printf(" (join tokens unavailable: is this host a Swarm manager?)");
	printf("\n");
	if (st->manager_joining && *st->manager_joining) {
		printf("Manager joining now: ");
		put_cell(st->manager_joining, 0);
		printf("\n");
	}
	printf("\n");
	put_cell("HOSTNAME", 24);
	put_cell("ROLE", 8);
	put_cell("ASKED", 8);
	put_cell("IP", 15);
	put_cell("STATUS", 8);
	put_cell("SWARM", 10);
	put_cell("LAST SEEN", 20);
	put_cell("NODE ID", 0);
	printf("\n");
	for (size_t i = 0; i < st->n_nodes; i++) {
		const struct ctl_status_node *n = &st->nodes[i];
		const char *swarm = "-";
		if (n->has_swarm)
			swarm = n->swarm_control_available ? "manager"
				: n->swarm_state && *n->swarm_state ? n->swarm_state
								     : "-";
		put_cell(or_empty(n->hostname), 24);
		put_cell(or_empty(n->role), 8);
		put_cell(or_empty(n->requested_role), 8);
		put_cell(or_empty(n->ip), 15);
		put_cell(or_empty(n->status), 8);
		put_cell(swarm, 10);
		put_cell(or_empty(n->last_seen), 20);
		put_cell(n->node_id && *n->node_id ? n->node_id : "-", 0);
		printf("\n");
	}
	fflush(stdout);
	status_health_print(stdout, st);
}

int cmd_status(struct app *a)
{
	const struct config *cfg = &a->cfg;
	const char *master = cfg->master && *cfg->master ? cfg->master : "127.0.0.1:7000";
	struct ctl_status st = {0};
	json_object *local = NULL;
	char *secret = NULL, *req = NULL, *reply = NULL, *err = NULL;
	size_t len = 0;
	int rc = EXIT_FAILURE_, r;

	/* The secret: given, from a file, or on the master itself from the
	 * state directory. */
	{
		static const char *const names[] = {JOIN_SECRET_FILE, NULL};
		r = join_secret_find(cfg->join_secret, cfg->join_secret_file, cfg->state_dir, names, &secret, &err);
		if (r < 0) {
			log_error("cannot use the join secret: %s", err ? err : strerror(-r));
			rc = r == -ENOMEM ? EXIT_FAILURE_ : EXIT_USAGE;
			goto out;
		}
	}
	ctl_client_set_plaintext(cfg->insecure_plaintext);
	{
		/* On the master itself the controller's key is beside its
		 * state: a bare secret (or none) still gets a pinned channel. */
		char pin[TLS_PIN_HEXLEN + 1];
		if (tls_local_pin(cfg->state_dir, pin) == 0)
			ctl_client_set_fallback_pin(pin);
	}
	/* Asked before the controller, so they show also when it is away. */
	if ((r = provider_status_collect(a, &local)) < 0) {
		rc = r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE_;
		goto out;
	}
	if (!(req = ctl_build_status_query(secret))) {
		log_error("out of memory");
		goto out;
	}
	if ((r = ctl_exchange(master, req, STATUS_TIMEOUT_MS, &reply, &len, &err)) < 0 ||
	    ctl_decode_status(master, reply, len, &st, &err) < 0) {
		log_error("%s", err ? err : "cannot query the controller");
		if (r == -EKEYREJECTED)
			rc = EXIT_REFUSED;
		if (!cfg->json)
			provider_status_print(local);
		goto out;
	}
	if (st.status != ANSWER_READY) {
		log_error("the controller at %s refused: %s", master, st.error ? st.error : "no reason given");
		rc = EXIT_REFUSED;
		goto out;
	}
	if (cfg->json) {
		if (local)
			json_object_object_add(st.json, "LocalProviders", json_object_get(local));
		printf("%s\n", json_object_to_json_string_ext(st.json, JSON_C_TO_STRING_PRETTY |
									   JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		print_table(&st);
		provider_status_print(local);
	}
	rc = EXIT_OK;
out:
	json_object_put(local);
	ctl_status_free(&st);
	free(secret);
	free(req);
	free(reply);
	free(err);
	return rc;
}
