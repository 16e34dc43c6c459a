#!/usr/bin/env bash
# bench/lookup: warm-cache throughput and p99 of GET /v1/lookup (5 locations, 5 items) next to a
# bare actix-web handler returning the same JSON from a constant, side by side in one run, with
# wrk; then p99 of each at half of its measured maximum rate (wrk paced by a Lua delay).
# Usage: bash bench/lookup.sh [seconds per run, default 10] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
cargo build --release --bin promiseguard --example bare_lookup 2>&1 | tail -1

work=$(mktemp -d)
cp -r fixtures "$work/"
ours=127.0.0.1:18080; bare=127.0.0.1:18081
(cd "$work" && PROMISEGUARD_LISTEN=$ours PROMISEGUARD_LOOKUP__TTL_S=3600 \
  PROMISEGUARD_SCHEDULE__RECHECK=off PROMISEGUARD_SCHEDULE__SURVEYS=off \
  exec "$OLDPWD/target/release/promiseguard" serve) &
ours_pid=$!
bare_pid=
trap 'kill $ours_pid $bare_pid 2>/dev/null; rm -rf "$work" "${pace:-}"' EXIT
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

run() { # url [connections] [lua-script] -> "rps p99_ms"
  local out
  out=$(wrk -t2 -c"${2:-64}" -d"${secs}s" --latency ${3:+-s "$3"} "$1")
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}' <<<"$out")
  echo "$rps $p99"
}
# Pacing: each connection waits 2 ms after each answer, so rate/500 connections would give that
# rate if answers took no time; a short trial run measures what they give, and the real run
# scales the connections by the shortfall.
pace=$(mktemp --suffix=.lua)
echo 'function delay() return 2 end' > "$pace"
paced() { # url rate -> "rps p99_ms"
  local c got
  c=$(awk -v r="$2" 'BEGIN { c = int(r * 2 / 1000 + 0.5); if (c < 2) c = 2; print c }')
  got=$(secs=3 run "$1" "$c" "$pace" | awk '{print $1}')
  c=$(awk -v c="$c" -v r="$2" -v g="$got" 'BEGIN { n = int(c * r / g + 0.5); if (n < 2) n = 2; print n }')
  run "$1" "$c" "$pace"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The machine is shared and noisy: alternate the two servers for $rounds rounds and compare
# medians, so a burst of someone else's load cannot land on one side only.
rounds="${2:-3}"
: > "$work/max"
for r in $(seq 1 "$rounds"); do
  read -r b bp < <(run "http://$bare$query")
  read -r o op < <(run "http://$ours$query")
  echo "$r $b $bp $o $op" >> "$work/max"
  printf 'round %s: bare %s req/s (p99 %s ms), promiseguard %s req/s (p99 %s ms), ratio %s\n' \
    "$r" "$b" "$bp" "$o" "$op" "$(awk -v o="$o" -v b="$b" 'BEGIN { printf "%.2f", o/b }')"
done
bare_max=$(awk '{print $2}' "$work/max" | median); bare_p99=$(awk '{print $3}' "$work/max" | median)
ours_max=$(awk '{print $4}' "$work/max" | median); ours_p99=$(awk '{print $5}' "$work/max" | median)
bare_half=$(awk -v m="$bare_max" 'BEGIN { print m / 2 }'); ours_half=$(awk -v m="$ours_max" 'BEGIN { print m / 2 }')
read -r bare_half_rps bare_half_p99 < <(paced "http://$bare$query" "$bare_half")
read -r ours_half_rps ours_half_p99 < <(paced "http://$ours$query" "$ours_half")
rss_after=$(rss)

printf '\nlookup: 5 locations + 5 items, warm cache, wrk -t2 -c64, %ss per run, median of %s rounds\n' "$secs" "$rounds"
printf '%-22s %12s %10s %16s %14s\n' "" "max req/s" "p99 ms" "paced req/s" "paced p99 ms"
printf '%-22s %12s %10s %16s %14s\n' "bare actix handler" "$bare_max" "$bare_p99" "$bare_half_rps" "$bare_half_p99"
printf '%-22s %12s %10s %16s %14s\n' "promiseguard lookup" "$ours_max" "$ours_p99" "$ours_half_rps" "$ours_half_p99"
awk -v o="$ours_max" -v b="$bare_max" 'BEGIN { printf "throughput ratio %.2f (target >= 0.8)\n", o/b }'
echo "paced runs aim at half of each server's median maximum: bare $bare_half, promiseguard $ours_half req/s"
echo "promiseguard RSS: ${rss_before} KiB before, ${rss_after} KiB after"
