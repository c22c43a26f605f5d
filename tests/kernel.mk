# tests: the wireguard plugin's kernel path against Debian's own kernel in
# a QEMU guest (tests/kernel/qemu-wg.sh; the recipe: tests/kernel/README).
if BUILD_OVERLAY_WIREGUARD
check_PROGRAMS += tests/kernel/wg-kernel
tests_kernel_wg_kernel_SOURCES = tests/kernel/wg-kernel.c
tests_kernel_wg_kernel_CFLAGS = $(WG_TEST_CFLAGS) -I$(top_srcdir)/core
tests_kernel_wg_kernel_LDADD = $(WG_TEST_LDADD) core/libclusterctl-core.la $(MNL_LIBS)
endif
TESTS += tests/kernel/qemu-wg.sh
EXTRA_DIST += tests/kernel.mk tests/kernel/README tests/kernel/qemu-wg.sh tests/kernel/qemu-guest.sh \
	tests/kernel/guest-init tests/kernel/wg-kernel-guest.sh tests/kernel/wg-plugin-guest.sh
clean-local: clean-kernel-cache
clean-kernel-cache:
	rm -rf tests/kernel/cache
.PHONY: clean-kernel-cache
