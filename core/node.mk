# core, node: the commands that converge a host or ask the controller:
# `node join`/`agent` (nodeagent.c), `master init`, `status`, and what
# they share: the one controller client, the node's identity, the join
# secret, Swarm convergence, retry pacing, the overlay MTU probe.
core_node_sources += core/nodeagent.c core/master-init.c core/status.c
core_node_sources += core/status-health.c core/status-health.h
core_node_sources += core/provider-status.c core/provider-status.h
core_node_sources += core/ctl-client.c core/ctl-client.h
core_node_sources += core/join-secret.c core/join-secret.h core/join-token.c core/join-token.h
core_node_sources += core/backoff.c core/backoff.h core/node-identity.c core/node-identity.h core/swarm-converge.c core/swarm-converge.h
core_node_sources += core/mtu-probe.c core/mtu-probe.h core/swarm-mtu.c core/swarm-mtu.h
