/* A probe run inside lab hosts by tests/integration/docker-live.sh: one
 * core/docker.c call per run against a real dockerd, its outcome printed
 * as "key=value" lines the shell test checks.
 *
 *   test-docker-live [-s SOCKET] COMMAND [ARGS]
 *     open | info | tokens | nodes | ingress-mtu
 *     init ADVERTISE DATAPATH [INGRESS_MTU]
 *     join ADVERTISE DATAPATH MANAGER TOKEN
 *     leave [force]
 *     role NODE manager|worker
 *
 * Always prints "rc=<return value>" and, on failure, "err=<message>".
 * Exit status: 0 on success, 1 on a failure of the call, 2 on bad usage.
 * The socket defaults to $DOCKER_SOCKET, else Docker's default. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "http-unix.h"

static int usage(void)
{
	fprintf(stderr, "usage: test-docker-live [-s SOCKET] open|info|tokens|nodes|ingress-mtu|"
			"init ADV DP [MTU]|join ADV DP MANAGER TOKEN|leave [force]|role NODE ROLE\n");
	return 2;
}

static int run(struct docker *d, int argc, char **argv, char **err)
{
	const char *cmd = argv[0];
	int r;

	if (strcmp(cmd, "info") == 0 && argc == 1) {
		struct docker_info i;
		if ((r = docker_get_info(d, &i, err)) < 0)
			return r;
		printf("server_version=%s\nnode_id=%s\nnode_addr=%s\nlocal_state=%s\nerror=%s\ncluster_id=%s\n"
		       "control_available=%d\nncpu=%u\nmem_total=%llu\nos=%s\nname=%s\n",
		       i.server_version, i.node_id, i.node_addr, i.local_state, i.error, i.cluster_id,
		       i.control_available, i.ncpu, (unsigned long long)i.mem_total, i.os, i.name);
		for (size_t k = 0; k < i.n_remote_managers; k++)
			printf("remote_manager=%s\n", i.remote_managers[k]);
		docker_info_free(&i);
		return 0;
	}
	if (strcmp(cmd, "tokens") == 0 && argc == 1) {
		struct docker_swarm s;
		if ((r = docker_swarm_inspect(d, &s, err)) < 0)
			return r;
		printf("swarm_id=%s\nversion=%llu\nworker_token=%s\nmanager_token=%s\n", s.id,
		       (unsigned long long)s.version, s.worker_token, s.manager_token);
		docker_swarm_free(&s);
		return 0;
	}
	if (strcmp(cmd, "nodes") == 0 && argc == 1) {
		struct docker_node *v;
		size_t n;
		if ((r = docker_node_list(d, &v, &n, err)) < 0)
			return r;
		printf("count=%zu\n", n);
		for (size_t k = 0; k < n; k++)
			printf("node=%s host=%s role=%s availability=%s state=%s addr=%s reachability=%s "
			       "leader=%d version=%llu\n",
			       v[k].id, v[k].hostname, v[k].role, v[k].availability, v[k].state, v[k].addr,
			       v[k].reachability[0] ? v[k].reachability : "-", v[k].leader,
			       (unsigned long long)v[k].version);
		docker_nodes_free(v, n);
		return 0;
	}
	if (strcmp(cmd, "ingress-mtu") == 0 && argc == 1) {
		uint32_t mtu;
		if ((r = docker_ingress_get_mtu(d, &mtu, err)) < 0)
			return r;
		printf("ingress_mtu=%u\n", mtu);
		return 0;
	}
	if (strcmp(cmd, "init") == 0 && (argc == 3 || argc == 4)) {
		struct docker_swarm_params p = {NULL, argv[1], argv[2], argc == 4 ? (uint32_t)atoi(argv[3]) : 0};
		char *id = NULL;
		if ((r = docker_swarm_init(d, &p, &id, err)) < 0)
			return r;
		printf("node_id=%s\n", id);
		free(id);
		return 0;
	}
	if (strcmp(cmd, "join") == 0 && argc == 5) {
		struct docker_swarm_params p = {NULL, argv[1], argv[2], 0};
		return docker_swarm_join(d, &p, argv[3], argv[4], err);
	}
	if (strcmp(cmd, "leave") == 0 && (argc == 1 || (argc == 2 && strcmp(argv[1], "force") == 0)))
		return docker_swarm_leave(d, argc == 2, err);
	if (strcmp(cmd, "role") == 0 && argc == 3)
		return docker_node_set_role(d, argv[1], argv[2], err);
	return 1000;
}

int main(int argc, char **argv)
{
	const char *sock = getenv("DOCKER_SOCKET");
	struct docker *d = NULL;
	char *err = NULL;
	int r;

	if (argc >= 3 && strcmp(argv[1], "-s") == 0) {
		sock = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		return usage();
	if (http_unix_global_init() < 0)
		return 1;
	r = docker_open(sock, &d, &err);
	if (r == 0 && strcmp(argv[1], "open") == 0 && argc == 2)
		printf("api=%s\n", docker_api_version(d));
	else if (r == 0)
		r = run(d, argc - 1, argv + 1, &err);
	docker_close(d);
	http_unix_global_cleanup();
	if (r == 1000)
		return usage();
	printf("rc=%d\n", r);
	if (r < 0)
		printf("err=%s\n", err ? err : "(no message)");
	free(err);
	return r < 0 ? 1 : 0;
}
