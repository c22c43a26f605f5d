core_agent_sources += core/nodeagent.c core/master-init.c core/join-secret.c core/join-secret.h core/status.c
