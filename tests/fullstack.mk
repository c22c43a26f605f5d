# tests: the whole product, wireguard overlay + gluster storage, end to end
# through master init/serve and node join on three lab hosts.  Not behind
# the plugins' build conditionals: without them it SKIPs, and under CI=true
# that fails.
TESTS += tests/integration/fullstack-e2e.sh
EXTRA_DIST += tests/integration/fullstack-e2e.sh tests/integration/e2e-lib.sh
