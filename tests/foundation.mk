# Foundation: loader refusals, SDK as a product, config, logging.
TESTS += tests/integration/plugin-loader.sh
EXTRA_DIST += tests/integration/plugin-loader.sh tests/fixtures/plugins/bad-plugin.c
TESTS += tests/integration/sdk.sh
EXTRA_DIST += tests/integration/sdk.sh
