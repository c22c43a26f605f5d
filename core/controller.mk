core_controller_sources += core/controller.c \
	core/protocol.c core/protocol.h \
	core/policy.c core/policy.h \
	core/state-store.c core/state-store.h \
	core/status.c \
	core/sync-worker.c core/sync-worker.h
