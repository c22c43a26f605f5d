#!/bin/sh
# The tree's dependency picture is the one DEVELOPERS.md draws:
#     core -> common <- plugins,   plugins/common -> common
# with nothing from core/ to plugins/ and nothing in common/ that knows
# the SDK or the core; and what common/ holds exists once: one monotonic
# clock, one netlink socket opener, one IPv4 parser, one IP detection.
# Read from the sources and the build fragments, so a change that bends
# an arrow fails here, in every build, before review.
. "$top_srcdir/tests/tap.sh"
cd "$top_srcdir" || exit 1

headers_of() { ls "$@" 2>/dev/null | xargs -n1 basename | sort -u; }
includes_in() { # includes_in FILE...: every #include "x.h" named, one per line
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$@" | xargs -n1 basename 2>/dev/null | sort -u
}
core_src=$(ls core/*.c core/*.h)
plugin_src=$(find plugins -name '*.[ch]')
common_src=$(ls common/*.c common/*.h)
plugin_headers=$(headers_of plugins/*/*.h plugins/*/*/*.h)
core_headers=$(headers_of core/*.h)

hit=$(includes_in $core_src | grep -Fx "$plugin_headers")
is "$hit" "" "core/ includes no header of plugins/ (core -> plugins is not an arrow)"
hit=$(grep -n 'plugins/' core/*.mk | grep -v '^[^:]*:[0-9]*:[[:space:]]*#')
is "$hit" "" "no core build fragment names plugins/ (flags, sources or libraries)"
hit=$(grep -n 'PLUGIN_COMMON' core/*.mk)
is "$hit" "" "the core does not link plugins/common"
hit=$(includes_in $plugin_src | grep -Fx "$core_headers")
is "$hit" "" "plugins/ include no header of core/ (they get the host table, not core internals)"
hit=$(grep -n '#[[:space:]]*include[[:space:]]*<clusterctl/' $common_src)
is "$hit" "" "common/ does not include the SDK"
hit=$(includes_in $common_src | grep -Fx "$core_headers")
is "$hit" "" "common/ includes nothing of core/"
hit=$(grep -n 'include' common/local.mk | grep -v '^[0-9]*:[[:space:]]*#')
is "$hit" "" "common/'s flags name no include directory but its own"
for so in plugins/*/*/local.mk plugins/common/local.mk; do
	hit=$(grep -n 'core/\|libclusterctl-core' "$so" | grep -v '^[0-9]*:[[:space:]]*#')
	is "$hit" "" "$so links nothing of core/"
done

# One copy of each: where it lives, and nowhere else in the program or a plugin.
found() { grep -ln -- "$1" $core_src $plugin_src $common_src | sort | tr '\n' ' ' | sed 's/ $//'; }
only() { # only PATTERN "HOME..." "what"
	is "$(found "$1")" "$2" "$3 lives only in $2"
}
none() { # none PATTERN "what"
	is "$(found "$1")" "" "$2: none in core/, common/ or plugins/"
}
only 'clock_gettime(CLOCK_MONOTONIC' common/cc-time.c "the monotonic clock"
only 'mnl_socket_open' core/netlink.c "opening a netlink socket"
none 'socket(AF_NETLINK' "a hand-made netlink socket"
none 'inet_pton(AF_INET,' "a second IPv4 parser (common/cc-net.c has its own rule)"
none 'inet_aton(' "another IPv4 parser"
only 'ipdetect_rank(' "core/app.c core/host-services.c core/ipdetect.c core/ipdetect.h" \
	"IP detection (the plugins ask the host's ip_rank)"
none 'getifaddrs' "a second address lister (the host has addr_list and ip_rank)"
none 'struct sockaddr_nl' "netlink spoken outside the core (the host's nl_transact carries the plugins' messages)"
done_testing
