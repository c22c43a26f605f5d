/* One registration through the node's own client (core/ctl-client.c),
 * as node join sends it, for tests that need no Docker engine:
 *
 *   ctl-register ADDR TOKEN-FILE IDENTITY-DIR NODE-ID HOSTNAME IP [ROLE]
 *
 * IDENTITY-DIR holds (or gets) the node's key, presented as its TLS
 * client certificate.  Prints the controller's answer; exit 0 when one
 * came, 1 with the client's error on stderr otherwise. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-client.h"
#include "join-secret.h"

int main(int argc, char **argv)
{
	struct node_identity id;
	struct node_report rep = {0};
	char *secret = NULL, *req = NULL, *reply = NULL, *err = NULL;
	size_t len = 0;
	int rc = 1;

	if (argc < 7) {
		fprintf(stderr, "usage: ctl-register ADDR TOKEN-FILE IDENTITY-DIR NODE-ID HOSTNAME IP [ROLE]\n");
		return 2;
	}
	memset(&id, 0, sizeof id);
	id.node_id = argv[4];
	id.hostname = argv[5];
	snprintf(id.ip, sizeof id.ip, "%s", argv[6]);
	id.cpu = id.memory = -1;
	rep.id = &id;
	rep.role = argc > 7 ? argv[7] : "worker";
	if (join_secret_read(argv[2], &secret, &err) < 0 || ctl_client_set_identity(argv[3], &err) < 0)
		goto out;
	rep.join_secret = secret;
	if (!(req = ctl_build_registration(&rep)))
		goto out;
	if (ctl_exchange(argv[1], req, 10000, &reply, &len, &err) < 0)
		goto out;
	printf("%s", reply);
	rc = 0;
out:
	if (err)
		fprintf(stderr, "%s\n", err);
	free(secret);
	free(req);
	free(reply);
	free(err);
	return rc;
}
