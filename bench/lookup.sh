#!/usr/bin/env bash
# bench/lookup: warm-cache throughput and p99 of GET /v1/lookup (5 locations, 5 items) next to a
# bare actix-web handler returning the same JSON from a constant, side by side in one run, with
# wrk; then p99 of each at half of its measured maximum rate (wrk paced by a Lua delay).
# Usage: bash bench/lookup.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
cargo build --release --bin promiseguard --example bare_lookup 2>&1 | tail -1

work=$(mktemp -d)
cp -r fixtures "$work/"
ours=127.0.0.1:18080; bare=127.0.0.1:18081
(cd "$work" && PROMISEGUARD_LISTEN=$ours PROMISEGUARD_LOOKUP__TTL_S=3600 PROMISEGUARD_LOG=warn \
  PROMISEGUARD_SCHEDULE__RECHECK=off PROMISEGUARD_SCHEDULE__SURVEYS=off \
  exec "$OLDPWD/target/release/promiseguard" serve) &
ours_pid=$!
bare_pid=
trap 'kill $ours_pid $bare_pid 2>/dev/null; rm -rf "$work"' EXIT
query='/v1/lookup?locations=loc-101,loc-102,loc-201,loc-202,loc-203&items=SUV-STD@loc-101,SUV-STD@loc-201,SUV-STD@loc-202,SUV-STD@loc-203,COMPACT@loc-201'
for _ in $(seq 1 50); do curl -fs "http://$ours/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
answer=$(curl -fs "http://$ours$query")
# The bare handler answers the same bytes from a constant fixed at its start.
target/release/examples/bare_lookup $bare "$answer" &
bare_pid=$!
for _ in $(seq 1 50); do curl -fs "http://$bare$query" >/dev/null 2>&1 && break; sleep 0.2; done
[ "$answer" = "$(curl -fs "http://$bare$query")" ] || { echo "answers differ:"; echo "$answer"; exit 1; }
rss() { ps -o rss= -p "$ours_pid" | tr -d ' '; }
rss_before=$(rss)

run() { # url [lua-script] -> "rps p99_ms"
  local out
  out=$(wrk -t2 -c64 -d"${secs}s" --latency ${2:+-s "$2"} "$1")
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}' <<<"$out")
  echo "$rps $p99"
}
paced() { # rate -> lua script pacing 64 connections to about that many requests/s in total
  local f; f=$(mktemp --suffix=.lua)
  awk -v r="$1" 'BEGIN { printf "function delay() return %d end\n", int(64 * 1000 / r + 0.5) }' > "$f"
  echo "$f"
}

read -r bare_max bare_p99 < <(run "http://$bare$query")
read -r ours_max ours_p99 < <(run "http://$ours$query")
read -r bare_half_rps bare_half_p99 < <(run "http://$bare$query" "$(paced "$(awk -v m="$bare_max" 'BEGIN{print m/2}')")")
read -r ours_half_rps ours_half_p99 < <(run "http://$ours$query" "$(paced "$(awk -v m="$ours_max" 'BEGIN{print m/2}')")")
rss_after=$(rss)

printf 'lookup: 5 locations + 5 items, warm cache, wrk -t2 -c64, %ss per run\n' "$secs"
printf '%-22s %12s %10s %14s %14s\n' "" "max req/s" "p99 ms" "half-rate req/s" "half-rate p99"
printf '%-22s %12s %10s %14s %14s\n' "bare actix handler" "$bare_max" "$bare_p99" "$bare_half_rps" "$bare_half_p99"
printf '%-22s %12s %10s %14s %14s\n' "promiseguard lookup" "$ours_max" "$ours_p99" "$ours_half_rps" "$ours_half_p99"
awk -v o="$ours_max" -v b="$bare_max" 'BEGIN { printf "throughput ratio %.2f (target >= 0.8)\n", o/b }'
echo "promiseguard RSS: ${rss_before} KiB before, ${rss_after} KiB after"
