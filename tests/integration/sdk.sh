#!/bin/sh
# The plugin SDK is a product: installed header + clusterctl-plugin.pc
# let a third party build an overlay plugin out of tree with nothing but
#   cc -shared -fPIC $(pkg-config --cflags clusterctl-plugin) x.c -o x.so
# and clusterctl lists it.  The public headers also compile alone, as
# strict C99 and as C++; a plugin written in C++ (-std=c++11 -pedantic)
# exports an unmangled entry and loads; one that forgot extern "C" is
# refused with a hint.  The harness clusterctl-plugin-test is installed
# with the SDK and runs the example.
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

# Every part of the 1.0 ABI a C plugin touches, as strict C99.
cat >"$dest/strict.c" <<'EOC'
#include <clusterctl/plugin.h>
static int s_init(const struct clusterctl_host *h, void **state)
{
	struct clusterctl_run_result res = CLUSTERCTL_RUN_RESULT_INIT;
	struct clusterctl_http_response resp = CLUSTERCTL_HTTP_RESPONSE_INIT;
	struct clusterctl_ip_query q = CLUSTERCTL_IP_QUERY_INIT;
	(void)h, (void)res, (void)resp, (void)q;
	*state = 0;
	return 0;
}
static void s_fini(void *state) { (void)state; }
static int s_ensure(void *state, const char *payload, struct clusterctl_ensure_out *out)
{
	(void)state, (void)payload;
	out->converged = 0;
	out->retry_after = 5;
	out->flags = CLUSTERCTL_ENSURE_MORE;
	return 0;
}
static int s_event(void *state, int kind, const struct clusterctl_node *node)
{
	(void)state, (void)node;
	return kind == CLUSTERCTL_NODE_STORED ? 0 : 0;
}
static const struct clusterctl_config_key s_keys[] = {
	{"token", CLUSTERCTL_CONFIG_STRING, 0, 0, 0, "a secret", CLUSTERCTL_CONFIG_SECRET},
	{0, 0, 0, 0, 0, 0, 0},
};
static const struct clusterctl_plugin s_plugin = {
	CLUSTERCTL_PLUGIN_HEADER(CLUSTERCTL_PLUGIN_OVERLAY, "strict", "1.0", "strict C99"),
	.config_keys = s_keys, .init = s_init, .fini = s_fini, .ensure = s_ensure, .node_event = s_event,
};
CLUSTERCTL_PLUGIN_DEFINE(s_plugin)
EOC
mkdir -p "$dest/c99" "$dest/cxx" "$dest/mangled"
$CC -std=c99 -pedantic -Wall -Wextra -Werror -shared -fPIC $cflags "$dest/strict.c" -o "$dest/c99/overlay-strict.so"
ok $? "a plugin using the whole 1.0 header builds as -std=c99 -pedantic -Werror"

# A C++ plugin: the header by assignment (no designated initializers
# before C++20), the entry point from CLUSTERCTL_PLUGIN_DEFINE.
cat >"$dest/cxx.cc" <<'EOC'
#include <clusterctl/plugin.h>
static int cx_init(const clusterctl_host *, void **state) { *state = 0; return 0; }
static void cx_fini(void *) {}
static int cx_ensure(void *, const char *, clusterctl_ensure_out *out) { out->converged = 1; return 0; }
static clusterctl_plugin make_plugin()
{
	clusterctl_plugin p = clusterctl_plugin();
	CLUSTERCTL_PLUGIN_HEADER_SET(&p, CLUSTERCTL_PLUGIN_OVERLAY, "cxx", "1.0", "written in C++");
	p.init = cx_init;
	p.fini = cx_fini;
	p.ensure = cx_ensure;
	return p;
}
static const clusterctl_plugin cxx_plugin = make_plugin();
CLUSTERCTL_PLUGIN_DEFINE(cxx_plugin)
EOC
c++ -std=c++11 -pedantic -Wall -Werror -shared -fPIC $cflags "$dest/cxx.cc" -o "$dest/cxx/overlay-cxx.so"
ok $? "a C++ plugin builds as -std=c++11 -pedantic -Werror"
e=$(nm -D --defined-only "$dest/cxx/overlay-cxx.so" | awk '$2 == "T" {print $3}')
is "$e" clusterctl_plugin_entry "it exports the unmangled entry point"
# Without CLUSTERCTL_PLUGIN_DEFINE: a C++ function gets a mangled name.
sed 's/^CLUSTERCTL_PLUGIN_DEFINE(cxx_plugin)$/__attribute__((visibility("default"))) const clusterctl_plugin *clusterctl_plugin_entry() { return \&cxx_plugin; }/' \
	"$dest/cxx.cc" >"$dest/mangled.cc"
c++ -std=c++11 -Wall -Werror -shared -fPIC $cflags "$dest/mangled.cc" -o "$dest/mangled/overlay-mangled.so"
ok $? "the same plugin without the macro builds"
for h in host.h plugin.h; do
	printf '#include <clusterctl/%s>\nint main(void) { return 0; }\n' "$h" >"$dest/h.c"
	$CC -std=c99 -pedantic -Werror $cflags "$dest/h.c" -o "$dest/h"; ok $? "<clusterctl/$h> compiles on its own"
done
nsyms=$(nm -D --defined-only "$dest/third-party/overlay-example.so" | grep -c ' T ')
is "$nsyms" 1 "the example exports one function"
bin=$(find "$dest" -path '*/sbin/clusterctl' | head -1)
out=$("$bin" plugins --plugin-dir "$dest/third-party" 2>&1)
like "$out" "example      overlay  1.0        1.1" "the installed clusterctl lists the third-party plugin (built against ABI 1.1)"
pt=$(find "$dest" -path '*/bin/clusterctl-plugin-test' | head -1)
[ -n "$pt" ]; ok $? "the harness clusterctl-plugin-test is installed with the SDK"
out=$("$pt" "$dest/third-party/overlay-example.so" --op status --option interface=lo 2>&1)
ok $? "it runs the example built out of tree, without a cluster"
like "$(printf '%s' "$out" | tr -d ' \n')" '"Status":{"Interface":"lo","Up":true' "and prints its status() answer"
out=$("$bin" plugins --plugin-dir "$dest/cxx" 2>&1)
like "$out" "cxx          overlay  1.0" "the installed clusterctl loads the C++ plugin"
out=$("$bin" plugins --plugin-dir "$dest/c99" 2>&1)
like "$out" "strict       overlay  1.0" "and the strict C99 one"
out=$("$bin" plugins --plugin-dir "$dest/mangled" 2>&1)
like "$out" "C++ name _Z23clusterctl_plugin_entryv" "a mangled entry is refused with a hint about extern \"C\""
out=$("$bin" plugins --plugin-dir "$plugindir" 2>&1)
for p in none; do like "$out" "$p " "installed plugin $p is listed"; done
for so in "$plugindir"/*.so; do
	n=$(nm -D --defined-only "$so" | awk '$2 == "T"' | wc -l)
	e=$(nm -D --defined-only "$so" | awk '$2 == "T" {print $3}')
	[ "$n" -eq 1 ] && [ "$e" = clusterctl_plugin_entry ]; ok $? "$(basename "$so") exports only clusterctl_plugin_entry"
done
done_testing
