# The SDK example: shipped as documentation, and built by the SDK test
# against the installed header (tests/integration/sdk.sh).
exampledir = $(docdir)/examples
dist_example_DATA = plugins/overlay/example/example.c
