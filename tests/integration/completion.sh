#!/bin/bash
# bash completion (etc/completion/clusterctl), driven as bash drives it:
# COMP_WORDS and COMP_CWORD set, _clusterctl called, COMPREPLY read.
# Every command and every option of the option table completes, values
# of the typed options too, and a plugin's options complete as soon as
# the plugin is installed, with no new script.
. "$top_srcdir/tests/tap.sh"
require_cmd jq
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || skip_all "needs a C compiler ($CC)"
bin=$top_builddir/clusterctl
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/plugins"
export CLUSTERCTL_PLUGIN_DIR=$dir/plugins
cp "$top_builddir"/plugins/overlay/none/.libs/overlay-none.so "$top_builddir"/plugins/storage/none/.libs/storage-none.so "$dir/plugins/"

. "$top_srcdir/etc/completion/clusterctl"
is "$(complete -p clusterctl)" "complete -F _clusterctl clusterctl" "the script registers _clusterctl for clusterctl"

comp() { # comp WORD...: complete the last word; the candidates, sorted, one line.
	# The words as bash splits them: "--a=b" is "--a" "=" "b" (COMP_WORDBREAKS).
	COMP_WORDS=("$bin" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_clusterctl
	[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

is "$(comp "")" "--help --version agent help ip master node plugins state status " "the commands and the top-level flags"
is "$(comp --)" "--help --version " "-- : the top-level flags"
is "$(comp master "")" "init serve " "master: init and serve"
is "$(comp node j)" "join " "node j: join"
is "$(comp node "")" "join remove " "node: join and remove"
is "$(comp state "")" "check dump salvage " "state: check, dump and salvage"
is "$(comp help m)" "master " "help takes a command"

ref=$("$bin" help --json)
for c in "master init" "master serve" "node join" "node remove" agent status ip plugins; do
	# shellcheck disable=SC2086
	want=$(printf '%s' "$ref" | jq -r --arg c "$c" '.Options[] | select(.Commands | index($c)) | .Flag' | sort | tr '\n' ' ')
	# shellcheck disable=SC2086
	got=$(comp $c -- | tr ' ' '\n' | grep -v -e '^--help$' -e '^$' | sort | tr '\n' ' ')
	is "$got" "$want" "$c: every option of the option table for it, and no other"
done

is "$(comp master serve --log-level "")" "debug error info warn " "--log-level VALUE: the levels"
is "$(comp master serve --log-level =)" "debug error info warn " "--log-level=VALUE: the same after '='"
is "$(comp master serve --log-level = w)" "warn " "--log-level=w: warn"
is "$(comp master serve --log-level = warn --li)" "--listen " "a flag given as --name=value before the word is passed over"
is "$(comp node join --role "")" "manager worker " "--role: manager or worker"
is "$(comp node join --overlay-provider "")" "none " "--overlay-provider: the installed overlay plugins"
mkdir "$dir/some-dir"
: >"$dir/some-file"
is "$(comp master serve --state-dir "$dir/some")" "$dir/some-dir " "--state-dir: directories"
is "$(comp node join --join-secret-file "$dir/some-f")" "$dir/some-file " "--join-secret-file: files"
is "$(comp master serve --wait-for-minimum "")" "$(comp master serve "")" "a boolean flag takes no value: flags follow"

# A plugin installed now: its options complete at once.
is "$(comp node join --exa)" "" "before the example plugin is installed, nothing completes --exa"
$CC -shared -fPIC -I"$top_srcdir/include" "$top_srcdir/plugins/overlay/example/example.c" -o "$dir/plugins/overlay-example.so"
ok $? "the example plugin is built and installed"
is "$(comp node join --exa)" "--example-interface --example-retry-after --example-verbose " "its options complete, with the same script"
is "$(comp node join --overlay-provider "")" "example none " "and it is offered as an overlay provider"
is "$(comp ip --exa)" "" "ip takes no plugin options"
like "$(comp node join --)" "--example-interface" "and --example-interface is among all of node join's flags"
mkdir "$dir/other"
cp "$dir/plugins/overlay-example.so" "$dir/other/"
is "$(CLUSTERCTL_PLUGIN_DIR=/nonexistent comp node join --plugin-dir = "$dir/other" --exa)" "--example-interface --example-retry-after --example-verbose " \
	"--plugin-dir=DIR on the line is where plugins are looked for"
is "$(CLUSTERCTL_PLUGIN_DIR=/nonexistent comp node join --exa)" "" "an unreadable plugin directory: no plugin options, no noise"
is "$(comp bogus "")" "" "an unknown command completes nothing"
done_testing
