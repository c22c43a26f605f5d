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
