# core, controller: `master serve` and the wire contract it serves
# (protocol.c is shared with the client), its policy, durable state, the
# fdatasync worker, the Docker worker (the engine's calls off the loop),
# and the calls into the providers with the checks on what they answer
# (plan-check.c).
core_controller_sources += core/controller.c \
	core/plan-check.c core/plan-check.h \
	core/protocol.c core/protocol.h \
	core/policy.c core/policy.h \
	core/state-store.c core/state-store.h core/state-tool.c \
	core/sync-worker.c core/sync-worker.h \
	core/docker-worker.c core/docker-worker.h
# What a client may hold before it is authenticated.
core_controller_sources += core/conn-limit.c core/conn-limit.h
# Each node's key, pinned to its NodeID on its first registration.
core_controller_sources += core/node-auth.c core/node-auth.h
core_controller_sources += core/node-compat.c core/node-compat.h core/node-health.c core/node-health.h
core_controller_sources += core/metrics.c core/metrics.h
core_controller_sources += core/node-remove.c core/node-remove.h
