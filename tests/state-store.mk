# tests: the controller's durable state beyond the unit test (controller.mk):
# the offline tool (`clusterctl state`), refusal of damage by master serve,
# the format 1 fixture.
TESTS += tests/integration/state-tool.sh
EXTRA_DIST += tests/integration/state-tool.sh
