#!/bin/sh
# The loader refuses, with one clear log line each and never a crash: a
# file that is not a shared object, one without the entry symbol, an ABI
# major mismatch, a too-small descriptor, a duplicate name, a wrong kind,
# a missing required operation, a plugin needing a newer host, a file not
# named <kind>-<name>.so after its descriptor, a file or directory that
# someone but root can write.  It accepts a plugin built for a later
# minor.  A run loads only the providers it uses.  The bad plugins are
# built here.
. "$top_srcdir/tests/tap.sh"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || skip_all "needs a C compiler ($CC)"
bin=$top_builddir/clusterctl
src=$top_srcdir/tests/fixtures/plugins/bad-plugin.c
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

build() { # build FILE CFLAGS...
	out=$1; shift
	$CC -shared -fPIC -I"$top_srcdir/include" -DSPY "$@" "$src" -o "$dir/$out"
}
build overlay-good.so -DNAME='"good"'
build overlay-newer.so -DNAME='"newer"' -DNEWER_MINOR
build overlay-minor0.so -DNAME='"minor0"' -DMINOR0
build overlay-major.so -DNAME='"major"' -DBAD_MAJOR
build overlay-small.so -DNAME='"small"' -DBAD_SMALL
build overlay-kind.so -DNAME='"kind"' -DBAD_KIND
build overlay-noinit.so -DNAME='"noinit"' -DBAD_NO_INIT
build overlay-future.so -DNAME='"future"' -DBAD_FUTURE
build overlay-badname.so -DBAD_NAME
build overlay-noentry.so -DNO_ENTRY
build overlay-zdup.so -DNAME='"good"'
build storage-disk.so -DNAME='"disk"' -DKIND=2
printf 'this is not an ELF file\n' > "$dir/overlay-text.so"
: > "$dir/overlay-empty.so"
ln -s /nonexistent/target.so "$dir/overlay-dangling.so"

out=$("$bin" plugins --plugin-dir "$dir" 2>"$dir/stderr")
rc=$?
err=$(cat "$dir/stderr")
is "$rc" 0 "clusterctl plugins survives every bad plugin and exits 0"
like "$out" "good         overlay" "a good plugin is listed"
like "$out" "newer" "a plugin built for a later ABI minor is accepted"
like "$out" "minor0" "a plugin built for ABI 1.0 (without forget) keeps loading"
like "$out" "disk         storage" "a storage plugin is listed with its kind"
like "$out" "overlay-major.so: plugin ABI major 2, this clusterctl speaks 1" "ABI major mismatch refused"
like "$out" "overlay-small.so: descriptor too small (struct_size 24" "too-small descriptor refused"
like "$out" "overlay-kind.so: unknown plugin kind 7" "unknown kind refused"
like "$out" "overlay-noinit.so: plugin noinit lacks a required operation" "missing required op refused"
like "$out" "overlay-future.so: needs host ABI 1.2" "plugin needing a newer host refused"
like "$out" "overlay-badname.so: invalid plugin name" "invalid name refused"
like "$out" "overlay-noentry.so: no clusterctl_plugin_entry symbol" "missing entry symbol refused"
like "$out" "overlay-text.so: not a shared object" "a text file refused"
like "$out" "overlay-empty.so: not a shared object" "an empty file refused"
like "$out" "overlay-dangling.so:" "a dangling link refused"
like "$out" "overlay-zdup.so: declares overlay plugin \"good\", which runs look for as overlay-good.so: rename the file" \
	"a file not named after its plugin is refused (a run would never find it)"
n=$(printf '%s\n' "$err" | grep -c 'refusing plugin')
is "$n" 11 "one log line per refused file"
like "$err" "] - [WARN] - refusing plugin path=$dir/overlay-major.so" "refusals are logged in the standard format"

json=$("$bin" plugins --json --plugin-dir "$dir" 2>/dev/null)
like "$(printf '%s' "$json" | tr -d '\n')" '"Reason":"plugin ABI major 2' "--json lists rejected files with the reason"
like "$(printf '%s' "$json" | tr -d ' \n')" '"Name":"good","Kind":"overlay"' "--json lists plugins"

# Wrong kind: a storage plugin asked for in the overlay slot.
out=$("$bin" node join --master 127.0.0.1:7000 --plugin-dir "$dir" --overlay-provider disk 2>&1)
is "$?" 2 "a storage plugin named as overlay provider is a usage error"
like "$out" 'plugin "disk" is a storage plugin; --overlay-provider needs an overlay plugin' "and says which kind it is"
out=$("$bin" node join --master 127.0.0.1:7000 --plugin-dir "$dir" --overlay-provider nosuch 2>&1)
is "$?" 2 "an unknown provider is a usage error"
like "$out" 'no overlay plugin named "nosuch"' "naming the missing provider"
out=$("$bin" plugins --plugin-dir "$dir/nonexistent" 2>&1)
is "$?" 1 "an unreadable plugin directory fails"
like "$out" "cannot read plugin directory path=$dir/nonexistent" "with the path in the message"
# Plugin options are checked against the discovered plugins' key tables.
out=$("$bin" plugins --plugin-dir "$dir" --good-colour blue 2>&1)
is "$?" 2 "an option of a plugin that has no such key: exit 2"
like "$out" 'plugin good has no option "good-colour"' "naming the plugin"
out=$("$bin" plugins --plugin-dir "$dir" --no-such-flag 2>&1)
is "$?" 2 "an unknown option: exit 2"
like "$out" 'unknown option "no-such-flag"' "naming the option"
CLUSTERCTL_NOSUCH_THING=1 "$bin" plugins --plugin-dir "$dir" >/dev/null 2>&1
is "$?" 0 "an unknown CLUSTERCTL_* variable is not an error"

# --- a run loads the providers it uses, and nothing else ---------------------
export CLUSTERCTL_TEST_SPY=$dir/spy
run_join() { # run_join FLAGS...: node join with no Docker (it fails after loading)
	: >"$CLUSTERCTL_TEST_SPY"
	out=$("$bin" node join --master 127.0.0.1:1 --plugin-dir "$dir" --docker-socket "$dir/no.sock" \
		--join-deadline 1 "$@" 2>&1)
	rc=$?
	spy=$(sort "$CLUSTERCTL_TEST_SPY" | tr '\n' ' ')
}
run_join --overlay-provider good --storage-provider disk
is "$spy" "disk good " "node join dlopens the chosen overlay and storage plugins and no other"
run_join --overlay-provider good --storage-provider disk --newer-colour blue
is "$rc" 1 "an option of an installed plugin this run does not use is no usage error"
like "$out" "ignoring --newer-colour: this run does not use that plugin" "it is named in a warning"
is "$spy" "disk good " "and that plugin is still not loaded"
run_join --overlay-provider good --storage-provider disk --nosuchplugin-colour blue
is "$rc" 2 "an option of no installed plugin is still a usage error"
run_join --overlay-provider zdup --storage-provider disk
is "$rc" 1 "a chosen provider whose file is refused: exit 1"
like "$out" "cannot use overlay plugin \"zdup\": $dir/overlay-zdup.so: declares overlay plugin \"good\"" \
	"naming the file and the reason"
: >"$CLUSTERCTL_TEST_SPY"
"$bin" status --master 127.0.0.1:1 --join-secret x --plugin-dir "$dir" --overlay-provider good \
	--storage-provider disk >/dev/null 2>&1
is "$(sort "$CLUSTERCTL_TEST_SPY" | tr '\n' ' ')" "disk good " \
	"status loads the chosen providers (for their status()) and no other"
: >"$CLUSTERCTL_TEST_SPY"
"$bin" plugins --plugin-dir "$dir" >/dev/null 2>&1
is "$(grep -c . "$CLUSTERCTL_TEST_SPY")" 12 "clusterctl plugins opens every shared object in the directory (12 here)"
unset CLUSTERCTL_TEST_SPY

# --- only root (or the user running it) may write the plugins -----------------
safe=$dir/safe
mkdir -m 755 "$safe" "$dir/linked"
cp "$dir/overlay-good.so" "$safe/"
build safe/overlay-gw.so -DNAME='"gw"'
build safe/overlay-other.so -DNAME='"other"'
chmod 755 "$safe"/*.so
chmod 775 "$safe/overlay-gw.so"
chown 65534 "$safe/overlay-other.so" 2>/dev/null || skip_all "cannot chown (needs root)"
out=$("$bin" plugins --plugin-dir "$safe" 2>&1)
like "$out" "overlay-gw.so: plugin file $safe/overlay-gw.so is writable by group or others (mode 0775): chmod go-w $safe/overlay-gw.so" \
	"a group-writable plugin file is refused, with the fix"
like "$out" "overlay-other.so: plugin file $safe/overlay-other.so is owned by uid 65534, not root: chown root $safe/overlay-other.so" \
	"a plugin file owned by another user is refused, with the fix"
like "$out" "good         overlay" "the safe plugin beside them is listed"
out=$("$bin" node join --master 127.0.0.1:1 --plugin-dir "$safe" --overlay-provider gw --join-deadline 1 2>&1)
is "$?" 1 "a run whose provider is group-writable stops (exit 1)"
like "$out" "chmod go-w $safe/overlay-gw.so" "and says how to fix it"
ln -s "$safe/overlay-gw.so" "$dir/linked/overlay-gw.so"
like "$("$bin" plugins --plugin-dir "$dir/linked" 2>&1)" "is writable by group or others" \
	"a symbolic link does not hide a group-writable target"
chmod 775 "$safe"
out=$("$bin" plugins --plugin-dir "$safe" 2>&1)
is "$?" 1 "a group-writable plugin directory: clusterctl plugins fails"
like "$out" "plugin directory $safe is writable by group or others (mode 0775): chmod go-w $safe" "naming it and the fix"
out=$("$bin" node join --master 127.0.0.1:1 --plugin-dir "$safe" --overlay-provider good --join-deadline 1 2>&1)
is "$?" 1 "and a run refuses to load from it"
like "$out" "chmod go-w $safe" "with the same message"
chmod 755 "$safe"
chown 65534 "$safe"
like "$("$bin" plugins --plugin-dir "$safe" 2>&1)" "plugin directory $safe is owned by uid 65534, not root: chown root $safe" \
	"a plugin directory owned by another user is refused"
done_testing
