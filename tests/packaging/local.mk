# Debian packaging (debian/), shipped in the tarball since a distribution
# builds from it, and the tests of the packages built from that tarball.
EXTRA_DIST += \
	debian/changelog \
	debian/clusterctl-overlay-netbird.install \
	debian/clusterctl-overlay-tailscale.install \
	debian/clusterctl-overlay-wireguard.install \
	debian/clusterctl-plugin-dev.examples \
	debian/clusterctl-plugin-dev.install \
	debian/clusterctl-storage-gluster.install \
	debian/clusterctl.install \
	debian/control \
	debian/copyright \
	debian/not-installed \
	debian/rules \
	debian/source/format

# make check-packages: the release tarball, then the packaging tests on
# it, in order (the chroot installs what debs.sh built).  Not part of
# make check: they take minutes, need root, and download from the Debian
# mirror once (tools/test.sh runs them).
PACKAGE_TESTS = tests/packaging/debs.sh tests/packaging/chroot-install.sh
EXTRA_DIST += $(PACKAGE_TESTS)
tests/packaging/chroot-install.log: tests/packaging/debs.log
check-packages: dist-gzip
	CLUSTERCTL_DIST_TARBALL='$(abs_top_builddir)/$(distdir).tar.gz' \
		$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(PACKAGE_TESTS)"
clean-local: clean-packaging
clean-packaging:
	rm -rf tests/packaging/work
.PHONY: check-packages clean-packaging
