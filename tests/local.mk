# Test harness: every test speaks TAP (tests/tap.h for C, tests/tap.sh
# for shell).  A test that cannot run exits 77 (SKIP) on a developer's
# machine but 99 (hard error) under CI=true: see tests/tap.sh.
TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	CLUSTERCTL_TEST_PLUGIN_DIR='$(abs_top_builddir)/tests/plugins-installed' \
	CLUSTERCTL_TEST_EMULATOR='$(TEST_EMULATOR)' \
	MALLOC_PERTURB_=165; export top_srcdir top_builddir CLUSTERCTL_TEST_PLUGIN_DIR CLUSTERCTL_TEST_EMULATOR MALLOC_PERTURB_;
# A cross build's C tests run under the emulator configure found
# (qemu-ARCH-static): the unit tests, `make check TESTS="$(make -s
# print-unit-tests)"`.  The shell tests run the built programs directly.
LOG_COMPILER = $(TEST_EMULATOR)
EXTRA_DIST += tests/tap.h tests/tap.sh tests/lab/lab.sh
# One fragment per area, as the source is grouped (DEVELOPERS.md).
include tests/common.mk
include tests/platform.mk
include tests/netlink.mk
include tests/plugins-abi.mk
include tests/docker.mk
include tests/controller.mk
include tests/state-store.mk
include tests/crash-torture.mk
include tests/node.mk
include tests/overlay-wireguard.mk
include tests/overlay-tailscale-netbird.mk
include tests/storage-gluster.mk
include tests/fullstack.mk
include tests/fuzz.mk
include tests/kernel.mk
include tests/pkg.mk

# For tools/test.sh: the C unit tests and the fuzz corpus replays (run
# again under sanitizers and in distcheck).
print-unit-tests:
	@echo $(filter tests/unit/% tests/fuzz/%,$(TESTS))

# Every built plugin, linked into one directory: what `make install` puts
# in the plugin directory, for tests and tools/demo.sh.
check_DATA = tests/plugins-installed/.stamp
tests/plugins-installed/.stamp: $(plugin_LTLIBRARIES)
	$(AM_V_GEN)rm -rf tests/plugins-installed && $(MKDIR_P) tests/plugins-installed && \
	for p in $(plugin_LTLIBRARIES); do \
		d=`dirname $$p`; b=`basename $$p .la`; \
		ln -s "$(abs_top_builddir)/$$d/.libs/$$b.so" tests/plugins-installed/$$b.so || exit 1; \
	done && touch $@
clean-local: clean-plugins-installed
clean-plugins-installed:
	rm -rf tests/plugins-installed
.PHONY: clean-plugins-installed print-unit-tests
