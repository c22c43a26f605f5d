#!/bin/sh
# fake-netbird.sh: the netbird CLI as clusterctl's netbird plugin uses it
# (`status --json`, `up`), for tests on a machine without Netbird.
#
# Behaviour copied from netbirdio/netbird (read in source, see
# shared/reference/provider-apis.md §4 and plugins/overlay/netbird/):
#  - no daemon: "Error: failed to connect to daemon error: context deadline
#    exceeded\nIf the daemon is not running please run: \nnetbird service
#    install \nnetbird service start\n" on stderr, exit 1 (client/cmd/root.go
#    getClient, cobra's "Error: " prefix, main's exit 1);
#  - `status --json`: statusOutputOverview JSON (client/status/status.go),
#    netbirdIp in CIDR form; with style=text and a logged-out daemon, the
#    pre-v0.67 "Daemon status: NeedsLogin ..." text, exit 0; with
#    style=nostatus, JSON without daemonStatus (pre-v0.67);
#  - `up`: flags --setup-key/-k, --setup-key-file, --management-url/-m,
#    --hostname/-n, --interface-name; NB_SETUP_KEY / WT_SETUP_KEY in the
#    environment override the flag (SetFlagsFromEnvVars sets flags after
#    parsing); "Already connected" when connected; "Connected" after a good
#    login; a bad key: "Error: login failed: rpc error: code = NotFound desc
#    = couldn't add peer: setup key is invalid", exit 1.
#
# State lives in $FAKE_NETBIRD_DIR:
#   state  connected | connecting | idle | needs-login | login-failed | down
#   style  json (default) | text | nostatus
#   key    the setup key the fake management server accepts
#   ip     the peer's IPv4 (default 100.92.0.7); prefix /16
#   iface  interface that gets the address on connect (default: none)
#   addr   now (default) | never   (never: the test adds it itself)
#   calls.log  one block per run: CALL, ARGV [..] [..], ENV lines
set -u
d=${FAKE_NETBIRD_DIR:?FAKE_NETBIRD_DIR must name the state directory of the fake}
get() { if [ -f "$d/$1" ]; then cat "$d/$1"; else printf '%s' "$2"; fi; }

{
	echo "CALL $$"
	printf 'ARGV'
	for a in "$@"; do printf ' [%s]' "$a"; done
	printf '\n'
	env | sed 's/^/ENV /'
} >>"$d/calls.log"

state=$(get state needs-login)
style=$(get style json)
ip=$(get ip 100.92.0.7)

daemon_down() {
	printf '%s\n' "Error: failed to connect to daemon error: context deadline exceeded" \
		"If the daemon is not running please run: " "netbird service install " \
		"netbird service start" "" >&2
	exit 1
}

status_json() {
	case $state in
	connected) ds=Connected mc=true nip="$ip/16" fq="node1.netbird.cloud" ;;
	connecting) ds=Connecting mc=false nip="" fq="" ;;
	idle) ds=Idle mc=false nip="" fq="" ;;
	needs-login) ds=NeedsLogin mc=false nip="" fq="" ;;
	login-failed) ds=LoginFailed mc=false nip="" fq="" ;;
	*) ds=Idle mc=false nip="" fq="" ;;
	esac
	if [ "$style" = nostatus ]; then dsf=''; else dsf="\"daemonStatus\":\"$ds\","; fi
	if [ "$state" = connected ]; then
		peers='{"total":1,"connected":1,"details":[{"fqdn":"peer-1.netbird.cloud","netbirdIp":"100.92.0.8","publicKey":"UjVvLm2hnP6kTl/fHxeXAh5ys8x6Et1CPmPh0PG/xW0=","status":"Connected","lastStatusUpdate":"2001-01-01T01:01:01Z","connectionType":"P2P","iceCandidateType":{"local":"host","remote":"host"},"iceCandidateEndpoint":{"local":"10.0.0.1:51820","remote":"10.0.0.2:51820"},"relayAddress":"","lastWireguardHandshake":"2001-01-01T01:01:02Z","transferReceived":200,"transferSent":100,"latency":10000000,"quantumResistance":false,"networks":[]}]}'
	else
		peers='{"total":0,"connected":0,"details":[]}'
	fi
	printf '%s' "{\"peers\":$peers,\"cliVersion\":\"0.67.0\",\"daemonVersion\":\"0.67.0\",$dsf\"management\":{\"url\":\"https://api.netbird.io:443\",\"connected\":$mc,\"error\":\"\"},\"signal\":{\"url\":\"https://signal.netbird.io:443\",\"connected\":$mc,\"error\":\"\"},\"relays\":{\"total\":0,\"available\":0,\"details\":[]},\"netbirdIp\":\"$nip\",\"publicKey\":\"Kz0dJ3cmqDHW3hYfL1aJxS3VbZ8KXoo5c0PGWlMHKXk=\",\"usesKernelInterface\":true,\"wireguardPort\":51820,\"fqdn\":\"$fq\",\"quantumResistance\":false,\"quantumResistancePermissive\":false,\"networks\":[],\"forwardingRules\":0,\"dnsServers\":[],\"events\":[],\"lazyConnectionEnabled\":false,\"profileName\":\"default\",\"sshServer\":{\"enabled\":false,\"sessions\":[]}}"
}

cmd=""
for a in "$@"; do
	case $a in
	-*) ;;
	*) cmd=$a; break ;;
	esac
done

case $cmd in
status)
	[ "$state" = down ] && daemon_down
	json=false
	for a in "$@"; do [ "$a" = --json ] && json=true; done
	if [ "$style" = text ] && { [ "$state" = needs-login ] || [ "$state" = login-failed ]; }; then
		case $state in needs-login) ds=NeedsLogin ;; *) ds=LoginFailed ;; esac
		printf 'Daemon status: %s\n\nRun UP command to log in with SSO (interactive login):\n\n netbird up \n\nIf you are running a self-hosted version and no SSO provider has been configured in your Management Server,\nyou can use a setup-key:\n\n netbird up --management-url <YOUR_MANAGEMENT_URL> --setup-key <YOUR_SETUP_KEY>\n\nMore info: https://docs.netbird.io/how-to/register-machines-using-setup-keys\n\n' "$ds"
		exit 0
	fi
	if $json; then status_json; else echo "Daemon status: $state"; fi
	exit 0
	;;
up)
	key="" keyfile="" murl="" host="" prev=""
	for a in "$@"; do
		case $prev in
		--setup-key | -k) key=$a prev=""; continue ;;
		--setup-key-file) keyfile=$a prev=""; continue ;;
		--management-url | -m) murl=$a prev=""; continue ;;
		--hostname | -n) host=$a prev=""; continue ;;
		--interface-name | --daemon-addr | --config | -c | --log-level | -l | --log-file) prev=""; continue ;;
		esac
		case $a in
		--setup-key=*) key=${a#--setup-key=} ;;
		--setup-key-file=*) keyfile=${a#--setup-key-file=} ;;
		--management-url=*) murl=${a#--management-url=} ;;
		--hostname=*) host=${a#--hostname=} ;;
		--setup-key | -k | --setup-key-file | --management-url | -m | --hostname | -n | \
			--interface-name | --daemon-addr | --config | -c | --log-level | -l | --log-file) prev=$a ;;
		esac
	done
	[ -n "$keyfile" ] && key=$(cat "$keyfile")
	[ -n "${WT_SETUP_KEY:-}" ] && key=$WT_SETUP_KEY
	[ -n "${NB_SETUP_KEY:-}" ] && key=$NB_SETUP_KEY
	[ "$state" = down ] && daemon_down
	if [ "$state" = connected ]; then
		echo "Already connected"
		exit 0
	fi
	echo "UP management-url=[$murl] hostname=[$host]" >>"$d/calls.log"
	if [ -z "$key" ]; then
		if [ "$state" = idle ] || [ "$state" = connecting ]; then
			echo connected >"$d/state"
		else
			# The real CLI would start an SSO device flow and wait for a browser.
			echo "Error: login failed: no SSO provider returned from management. Please proceed with setting up this device using setup keys" >&2
			exit 1
		fi
	elif [ "$key" = "$(get key '')" ]; then
		echo connected >"$d/state"
	else
		echo login-failed >"$d/state"
		echo "Error: login failed: rpc error: code = NotFound desc = couldn't add peer: setup key is invalid" >&2
		exit 1
	fi
	iface=$(get iface '')
	if [ -n "$iface" ] && [ "$(get addr now)" = now ]; then
		ip -4 addr add "$ip/16" dev "$iface" >>"$d/calls.log" 2>&1 || echo "ADDR failed" >>"$d/calls.log"
	fi
	echo "Connected"
	exit 0
	;;
*)
	echo "Error: unknown command \"$cmd\" for \"netbird\"" >&2
	exit 1
	;;
esac
