# core, controller: `master serve` and the wire contract it serves
# (protocol.c is shared with the client), its policy, durable state and
# the fdatasync worker.
core_controller_sources += core/controller.c \
	core/protocol.c core/protocol.h \
	core/policy.c core/policy.h \
	core/state-store.c core/state-store.h \
	core/sync-worker.c core/sync-worker.h
