# tests: what admins and distributions get (issue 15): systemd
# notification, shell completion, the man pages against the option table.
check_PROGRAMS += tests/unit/test-sd-notify tests/tools/notify-recorder
TESTS += tests/unit/test-sd-notify
tests_unit_test_sd_notify_SOURCES = tests/unit/test-sd-notify.c
tests_unit_test_sd_notify_LDADD = core/libclusterctl-core.la
tests_tools_notify_recorder_SOURCES = tests/tools/notify-recorder.c
TESTS += tests/integration/systemd-notify.sh
EXTRA_DIST += tests/integration/systemd-notify.sh
TESTS += tests/integration/agent-notify.sh
EXTRA_DIST += tests/integration/agent-notify.sh
TESTS += tests/integration/completion.sh
EXTRA_DIST += tests/integration/completion.sh
TESTS += tests/integration/man-pages.sh
EXTRA_DIST += tests/integration/man-pages.sh
TESTS += tests/integration/install-layout.sh
EXTRA_DIST += tests/integration/install-layout.sh
