#!/bin/bash
# The controller's metrics (issue 12 item 6): off by default; with
# --metrics-listen, GET /metrics is the Prometheus text format, checked by
# promtool (Debian's prometheus package), and its numbers follow what the
# controller did: registrations by outcome, refusals by reason, nodes by
# role and state, stale nodes, gating, and the latency histograms.
. "$top_srcdir/tests/tap.sh"
require_cmd jq curl promtool
. "$top_srcdir/tests/integration/controller-lib.sh"

S=$CT_DIR/state
SECRET=m3tr1cs-$$-0123456789abcdef
ct_secret "$S" "$SECRET"

ct_start "$S"
ok $? "a controller without --metrics-listen starts"
ok $(grep -q "metrics listening" "$CT_LOG"; echo $((!$?))) "and serves no metrics (off by default)"
ct_stop TERM

"$CLUSTERCTL" master serve --plugin-dir "$CT_PLUGINS" --state-dir "$S" --listen 127.0.0.1:0 \
	--metrics-listen 127.0.0.1:99999 >"$CT_DIR/bad.log" 2>&1
is "$?" 2 "--metrics-listen with a bad port is a usage error"

ct_start "$S" --metrics-listen 127.0.0.1:0 --wait-for-minimum --min-workers 2 --stale-after 2
ok $? "the controller starts with --metrics-listen 127.0.0.1:0"
MP=$(sed -n 's/.*metrics listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$CT_LOG")
ok $([ -n "$MP" ]; echo $?) "it logs the metrics address (port $MP)"
scrape() { curl -sf "http://127.0.0.1:$MP/metrics"; }
metric() { scrape | awk -v k="$1" '$1 == k {print $2}'; }

# What the page should count.
reg w1 worker 192.0.2.1 "$SECRET" >/dev/null
reg w1 worker 192.0.2.1 "$SECRET" >/dev/null
reg w2 worker 192.0.2.2 wrong-secret-0123456789 >/dev/null
reg w3 worker 192.0.2.3 "$SECRET" '"StorageType":"gluster"' >/dev/null
ct_req 'not json' >/dev/null
ct_req "{\"Hostname\":\"w_4\",\"Role\":\"worker\",\"IP\":\"192.0.2.4\",\"JoinSecret\":\"$SECRET\"}" >/dev/null
sleep 1.2 # the store's gauges are published once a second

page=$(scrape)
ok $? "GET /metrics answers"
printf '%s\n' "$page" >"$CT_DIR/metrics.txt"
out=$(promtool check metrics <"$CT_DIR/metrics.txt" 2>&1)
ok $? "promtool check metrics accepts the page${out:+: $out}"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/other")" 404 "any other path is 404"
ctype=$(curl -sI -X GET "http://127.0.0.1:$MP/metrics" | tr -d '\r' | sed -n 's/^Content-Type: //p')
like "$ctype" "text/plain; version=0.0.4" "served as the Prometheus text format"

is "$(metric 'clusterctl_registrations_total{outcome="waiting"}')" 2 "registrations by outcome: two waiting"
is "$(metric 'clusterctl_invalid_requests_total{reason="join_secret"}')" 1 "refusals by reason: a wrong join secret"
is "$(metric 'clusterctl_invalid_requests_total{reason="provider_mismatch"}')" 1 "a provider mismatch"
is "$(metric 'clusterctl_invalid_requests_total{reason="not_json"}')" 1 "a request that is not JSON"
is "$(metric 'clusterctl_invalid_requests_total{reason="bad_field"}')" 1 "an invalid host name"
is "$(metric 'clusterctl_nodes{role="worker",state="waiting"}')" 1 "nodes by role and state: one waiting worker"
is "$(metric 'clusterctl_gating_waiting')" 1 "gating: waiting for the minimum"
is "$(metric 'clusterctl_cluster_formed')" 0 "not formed"
is "$(metric 'clusterctl_fsync_duration_seconds_count')" 2 "one fdatasync per stored registration batch"
c=$(metric 'clusterctl_request_duration_seconds_count')
ok $([ "${c:-0}" -ge 6 ]; echo $?) "every request is timed ($c)"
# (The none providers have no plan(); upgrade-e2e.sh scrapes WireGuard's.)
like "$page" "# TYPE clusterctl_plugin_plan_duration_seconds histogram" "plan latency by provider is declared"
sleep 2.5
is "$(metric 'clusterctl_stale_nodes')" 1 "a node silent for longer than --stale-after counts as stale"

# A slow scraper does not hold up registrations.
exec 7<>"/dev/tcp/127.0.0.1/$MP"
printf 'GET /metr' >&7
r=$(reg w5 worker 192.0.2.5 "$SECRET")
is "$(json_get "$r" .RegisteredWorkers)" 2 "a registration is answered while a scrape hangs"
exec 7<&-
ct_stop TERM
is "$CT_RC" 0 "SIGTERM stops the controller and its metrics listener (exit 0)"
done_testing
