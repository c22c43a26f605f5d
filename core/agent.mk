core_agent_sources += core/nodeagent.c core/master-init.c core/join-secret.c core/join-secret.h
core_agent_sources += core/backoff.c core/backoff.h core/node-identity.c core/node-identity.h core/swarm-converge.c core/swarm-converge.h
core_agent_sources += core/mtu-probe.c core/mtu-probe.h
core_agent_sources += core/ctl-client.c core/ctl-client.h
