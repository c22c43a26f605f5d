#!/bin/sh
# Configure and build clusterctl out of tree in _build (warnings as errors).
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi >/dev/null
mkdir -p _build
cd _build
[ -f Makefile ] || ../configure --enable-werror --quiet
make -j"$(nproc)" >/dev/null
echo "built: $(pwd)/clusterctl"
