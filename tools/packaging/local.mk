# Debian packaging (debian/) and the scripts that build and test the
# packages (tools/packaging/, run by tools/test.sh): shipped in the
# tarball, since a distribution builds from it.
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
