# tests: crash torture (issue 13 item 2).  The controller: SIGKILL of
# master serve under concurrent registrations, TORTURE_CYCLES (100)
# restarts on the same state directory.  The node: SIGKILL of node join
# and the agent in a two-host lab, NODE_TORTURE_CYCLES (10), then a
# re-run that must converge with no half-state.
check_PROGRAMS += tests/tools/torture-client
tests_tools_torture_client_SOURCES = tests/tools/torture-client.c
tests_tools_torture_client_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) -pthread
tests_tools_torture_client_LDADD = $(JSONC_LIBS) -lpthread
TESTS += tests/integration/state-torture.sh tests/integration/node-kill-torture.sh
EXTRA_DIST += tests/integration/state-torture.sh tests/integration/node-kill-torture.sh
