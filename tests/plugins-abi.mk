# tests: the plugin ABI as an author meets it: the loader's refusals, the
# SDK as a product (header, .pc, man page, example), and plugins/common.
TESTS += tests/integration/plugin-loader.sh
EXTRA_DIST += tests/integration/plugin-loader.sh tests/fixtures/plugins/bad-plugin.c
TESTS += tests/integration/sdk.sh
EXTRA_DIST += tests/integration/sdk.sh
# What a plugin's keys look like from inside it: booleans, types from
# every source, descriptor checks, --dry-run.
TESTS += tests/integration/plugin-contract.sh
EXTRA_DIST += tests/integration/plugin-contract.sh tests/fixtures/plugins/contract-plugin.c
# The harness (clusterctl-plugin-test) driving the example, fixtures and
# breaches of the contract, and valgrind (LeakSanitizer in an ASan build)
# over both.
TESTS += tests/integration/plugin-harness.sh
EXTRA_DIST += tests/integration/plugin-harness.sh tests/fixtures/plugins/harness-plugin.c
# clusterctl status shows the local providers' own status().
TESTS += tests/integration/status-providers.sh
EXTRA_DIST += tests/integration/status-providers.sh
# node join warns on a plugin's JSON that is none, and sends none of it.
TESTS += tests/integration/plugin-json-warnings.sh
EXTRA_DIST += tests/integration/plugin-json-warnings.sh
# core -> common <- plugins, and one copy of what common/ holds.
TESTS += tests/integration/layout.sh
EXTRA_DIST += tests/integration/layout.sh

# plugins/common: JSON helpers over the SDK types, host polling.
check_PROGRAMS += tests/unit/test-plugin-common
TESTS += tests/unit/test-plugin-common
tests_unit_test_plugin_common_SOURCES = tests/unit/test-plugin-common.c
tests_unit_test_plugin_common_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_unit_test_plugin_common_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_plugin_common_LDADD = $(PLUGIN_COMMON_LIBS)

# The example plugin built as a real module by this build (so the
# sanitizer stage instruments it), driven by the harness.
check_LTLIBRARIES += tests/fixtures/plugins/overlay-example.la
tests_fixtures_plugins_overlay_example_la_SOURCES = plugins/overlay/example/example.c
tests_fixtures_plugins_overlay_example_la_CPPFLAGS = -I$(top_srcdir)/include
tests_fixtures_plugins_overlay_example_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
check_PROGRAMS += tests/unit/test-example-harness
TESTS += tests/unit/test-example-harness
tests_unit_test_example_harness_SOURCES = tests/unit/test-example-harness.c
tests_unit_test_example_harness_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) -I$(top_srcdir)/tests \
	-DPLUGIN_TEST='"$(abs_top_builddir)/clusterctl-plugin-test$(EXEEXT)"' \
	-DEXAMPLE_SO='"$(abs_top_builddir)/tests/fixtures/plugins/.libs/overlay-example.so"' \
	-DTEST_EMULATOR='"$(TEST_EMULATOR)"'
tests_unit_test_example_harness_LDADD = core/libclusterctl-core.la $(JSONC_LIBS)
EXTRA_tests_unit_test_example_harness_DEPENDENCIES = tests/fixtures/plugins/overlay-example.la \
	clusterctl-plugin-test$(EXEEXT)
