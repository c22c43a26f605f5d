# tests: the platform every command stands on: typed configuration,
# log lines, the systemd units.
check_PROGRAMS += tests/unit/test-config tests/unit/test-log
TESTS += tests/unit/test-config tests/unit/test-log
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_LDADD = core/libclusterctl-core.la
tests_unit_test_log_SOURCES = tests/unit/test-log.c
tests_unit_test_log_LDADD = core/libclusterctl-core.la
check_PROGRAMS += tests/unit/test-subprocess
TESTS += tests/unit/test-subprocess
tests_unit_test_subprocess_SOURCES = tests/unit/test-subprocess.c
tests_unit_test_subprocess_LDADD = core/libclusterctl-core.la
TESTS += tests/integration/systemd-units.sh
EXTRA_DIST += tests/integration/systemd-units.sh
# Secrets out of cores, /proc and children's environments; safe secret files.
check_PROGRAMS += tests/unit/test-harden
TESTS += tests/unit/test-harden
tests_unit_test_harden_SOURCES = tests/unit/test-harden.c
tests_unit_test_harden_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_harden_LDADD = core/libclusterctl-core.la
