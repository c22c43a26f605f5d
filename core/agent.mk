core_agent_sources += core/nodeagent.c core/master-init.c
