#!/bin/bash
# The man pages: every page renders with no warning from man(1), and
# clusterctl(8) documents exactly what the binary does: every command,
# every flag of the option table (and no flag it lacks), every
# environment variable (each option's, and every getenv() in the
# sources), every exit status and every file, as `clusterctl help --json`
# lists them.  clusterctl is an administrator's command: section 8.
. "$top_srcdir/tests/tap.sh"
require_cmd man jq
bin=$top_builddir/clusterctl
page=$top_builddir/doc/clusterctl.8
[ -f "$page" ] || skip_all "doc/clusterctl.8 not built"

for p in "$page" "$top_srcdir"/doc/*.[1-9]; do
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$p" 2>&1 >/dev/null)
	is "$out" "" "man --warnings -E UTF-8 -l $(basename "$p"): silent"
done
like "$(head -n 3 "$page")" ".TH CLUSTERCTL 8 " "clusterctl's page is in section 8 (system administration)"
[ ! -e "$top_srcdir/doc/clusterctl.1" ]; ok $? "and no section 1 page of it is left behind (section 1 is the SDK's harness)"

# section NAME: the roff source of one section, fonts dropped, \- as -.
section() {
	sed -n "/^\.SH $1\$/,/^\.SH /p" "$page" | sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\(em/-/g'
}
ref=$("$bin" help --json)
ok $? "clusterctl help --json"

cmds=$(section COMMANDS)
printf '%s' "$ref" | jq -r '.Commands[].Name' | while read -r c; do
	printf '%s\n' "$cmds" | grep -qx "\.B $c"; echo $?
done | sort -u | { read -r r && [ "$r" = 0 ] && ! read -r _; }
ok $? "COMMANDS has an entry for every command"

opts=$(section OPTIONS)
missing=
for f in $(printf '%s' "$ref" | jq -r '.Options[].Flag'); do
	printf '%s\n' "$opts" | grep -Eq -- "(^|[^a-z-])$f([^a-z-]|\$)" || missing="$missing $f"
done
is "$missing" "" "OPTIONS documents every flag of the option table"
known=" $(printf '%s' "$ref" | jq -r '.Options[].Flag' | tr '\n' ' ') --help --plugin-key "
stale=
for f in $(printf '%s\n' "$opts" | grep -Eo -- '--[a-z][a-z0-9-]*' | sort -u); do
	case $known in *" $f "*) continue ;; esac
	# A plugin's option, e.g. --gluster-replica: its plugin is in the tree.
	p=${f#--}; p=${p%%-*}
	ls -d "$top_srcdir"/plugins/*/"$p" >/dev/null 2>&1 && continue
	stale="$stale $f"
done
is "$stale" "" "OPTIONS names no flag the binary lacks"

env=$(section ENVIRONMENT)
missing=
while read -r var flag; do
	printf '%s\n' "$env" | grep -Eq "^$var[[:space:]]+$flag\$" || missing="$missing $var"
done < <(printf '%s' "$ref" | jq -r '.Options[] | "\(.Environment) \(.Flag)"')
is "$missing" "" "ENVIRONMENT pairs every option's variable with its flag"
missing=
for v in $(printf '%s' "$ref" | jq -r '.Environment[].Name' | sed 's/[<>]//g'); do
	printf '%s\n' "$env" | grep -q -- "$v" || missing="$missing $v"
done
is "$missing" "" "ENVIRONMENT explains every other variable the binary reads"
missing=
for v in $(grep -ho 'getenv("[A-Z_]*")' "$top_srcdir"/core/*.c "$top_srcdir"/plugins/*/*.c "$top_srcdir"/plugins/*/*/*.c 2>/dev/null |
	sed 's/getenv("\(.*\)")/\1/' | sort -u); do
	printf '%s\n' "$env" | grep -q -- "$v" || missing="$missing $v"
done
is "$missing" "" "every getenv() in the sources is in ENVIRONMENT"

codes=$(printf '%s' "$ref" | jq -r '.ExitStatus[].Code' | sort -n | tr '\n' ' ')
is "$(section 'EXIT STATUS' | sed -n 's/^\.B \([0-9][0-9]*\)$/\1/p' | sort -n | tr '\n' ' ')" "$codes" \
	"EXIT STATUS lists exactly the binary's exit statuses"
is "$(sed -n '/^enum {/,/^}/p' "$top_srcdir/core/app.h" | grep -c '^	EXIT_')" "$(printf '%s' "$ref" | jq '.ExitStatus | length')" \
	"and help --json has one for every EXIT_ code in app.h"

files=$(section FILES | sed -n 's/^\.I //p')
missing=
while read -r f; do
	printf '%s\n' "$files" | grep -qxF -- "$f" || missing="$missing $f"
done < <(printf '%s' "$ref" | jq -r '.Files[].Path')
is "$missing" "" "FILES lists every file the binary uses, at this build's paths"
extra=
while read -r f; do
	printf '%s' "$ref" | jq -e --arg f "$f" '.Files | map(.Path) | index($f)' >/dev/null || extra="$extra $f"
done < <(printf '%s\n' "$files")
is "$extra" "" "and no other"
done_testing
