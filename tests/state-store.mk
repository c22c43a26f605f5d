# tests: the controller's durable state beyond the unit test (controller.mk):
# the offline tool (`clusterctl state`), refusal of damage by master serve,
# the format 1 fixture.
TESTS += tests/integration/state-tool.sh
EXTRA_DIST += tests/integration/state-tool.sh
# fdatasync/fsync failing with EIO (an LD_PRELOAD shim): fail-stop, and a
# new generation at the next start.
check_LTLIBRARIES += tests/tools/fsync-fault.la
tests_tools_fsync_fault_la_SOURCES = tests/tools/fsync-fault.c
tests_tools_fsync_fault_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_tools_fsync_fault_la_LIBADD = -ldl
TESTS += tests/integration/state-fsync-fault.sh
EXTRA_DIST += tests/integration/state-fsync-fault.sh
# Crash torture: SIGKILL of master serve under concurrent registrations,
# TORTURE_CYCLES (100) restarts on the same state directory.
check_PROGRAMS += tests/tools/torture-client
tests_tools_torture_client_SOURCES = tests/tools/torture-client.c
tests_tools_torture_client_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) -pthread
tests_tools_torture_client_LDADD = $(JSONC_LIBS) -lpthread
TESTS += tests/integration/state-torture.sh
EXTRA_DIST += tests/integration/state-torture.sh
