#!/bin/sh
# The plugin SDK is a product: installed header + clusterctl-plugin.pc
# let a third party build an overlay plugin out of tree with nothing but
#   cc -shared -fPIC $(pkg-config --cflags clusterctl-plugin) x.c -o x.so
# and clusterctl lists it.  The public headers also compile alone, as
# strict C99 and as C++.
. "$top_srcdir/tests/tap.sh"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || skip_all "needs a C compiler"
command -v pkg-config >/dev/null 2>&1 || skip_all "needs pkg-config"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT

make -s -C "$top_builddir" install DESTDIR="$dest" >"$dest/install.log" 2>&1
ok $? "make install DESTDIR= succeeds"
pc=$(find "$dest" -name clusterctl-plugin.pc | head -1)
[ -n "$pc" ]; ok $? "clusterctl-plugin.pc is installed"
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest
cflags=$(pkg-config --cflags clusterctl-plugin)
ok $? "pkg-config knows clusterctl-plugin"
# With a sysroot, pkg-config prefixes the variable with it.
plugindir=$(pkg-config --variable=plugindir clusterctl-plugin)
ls "$plugindir"/overlay-none.so >/dev/null 2>&1; ok $? "the .pc plugindir is where plugins were installed ($plugindir)"
is "$(pkg-config --variable=abi_major clusterctl-plugin)" 1 "the .pc states the ABI major"
pkg-config --atleast-version=1.0 clusterctl-plugin; ok $? "PKG_CHECK_MODULES([X],[clusterctl-plugin >= 1.0]) would pass"
ls "$plugindir"/*.la >/dev/null 2>&1; [ $? -ne 0 ]; ok $? "no libtool .la files are installed with the plugins"

ex=$(find "$dest" -path '*examples/example.c' | head -1)
[ -n "$ex" ]; ok $? "the example plugin source is installed with the docs"
mkdir "$dest/third-party"
$CC -shared -fPIC $cflags "$ex" -o "$dest/third-party/overlay-example.so"
ok $? "the example builds out of tree with only pkg-config's flags"
$CC -std=c99 -pedantic -Wall -Wextra -Werror -shared -fPIC $cflags "$ex" -o "$dest/strict.so"
ok $? "the example builds as strict C99 with -Werror"
if command -v c++ >/dev/null 2>&1; then
	printf '#include <clusterctl/plugin.h>\nint main() { return sizeof(clusterctl_plugin) > 0 ? 0 : 1; }\n' >"$dest/x.cc"
	c++ -Wall -Werror $cflags "$dest/x.cc" -o "$dest/x"; ok $? "the header compiles as C++"
else
	skip_all "needs a C++ compiler (g++)"
fi
for h in host.h plugin.h; do
	printf '#include <clusterctl/%s>\nint main(void) { return 0; }\n' "$h" >"$dest/h.c"
	$CC -std=c99 -pedantic -Werror $cflags "$dest/h.c" -o "$dest/h"; ok $? "<clusterctl/$h> compiles on its own"
done
nsyms=$(nm -D --defined-only "$dest/third-party/overlay-example.so" | grep -c ' T ')
is "$nsyms" 1 "the example exports one function"
bin=$(find "$dest" -path '*/sbin/clusterctl' | head -1)
out=$("$bin" plugins --plugin-dir "$dest/third-party" 2>&1)
like "$out" "example      overlay  1.0        1.0" "the installed clusterctl lists the third-party plugin"
out=$("$bin" plugins --plugin-dir "$plugindir" 2>&1)
for p in none; do like "$out" "$p " "installed plugin $p is listed"; done
for so in "$plugindir"/*.so; do
	n=$(nm -D --defined-only "$so" | awk '$2 == "T"' | wc -l)
	e=$(nm -D --defined-only "$so" | awk '$2 == "T" {print $3}')
	[ "$n" -eq 1 ] && [ "$e" = clusterctl_plugin_entry ]; ok $? "$(basename "$so") exports only clusterctl_plugin_entry"
done
done_testing
