#!/usr/bin/env bash
# bench/lookup: warm-cache throughput and p99 of GET /v1/lookup (5 locations, 5 items) next to a
# bare actix-web handler returning the same JSON from a constant, side by side in one run, with
# wrk; then p99 of each at half of its measured maximum rate (wrk paced by a Lua delay).
#
# Two configurations, each reported:
#   static   the embedded defaults: `static` sources read from fixtures/
#   sources  Google Business Profile and Square as the sources — fakes in their real formats
#            (bench/lookup_sources.rs) — as the service runs for real; answers warmed first
#
# Usage: bash bench/lookup.sh [seconds per run, default 10] [rounds, default 3]
# Environment:
#   LOOKUP_CONFIGS="static sources"   which configurations to run (default both)
#   LOOKUP_BASELINE=/path/promiseguard another build of the service (an older commit) measured
#                                     in the same rounds, in turn with this one (A/B)
#   LOOKUP_BASELINE_FIXTURES=/path/fixtures  the baseline commit's own fixtures/ (their format
#                                     changes between commits; default this checkout's)
#   LOOKUP_BINARY=/path/promiseguard  the build measured as "promiseguard" (default: this
#                                     checkout's release build)
# The last line printed is the throughput ratio of each configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
rounds="${2:-3}"
configs="${LOOKUP_CONFIGS:-static sources}"
baseline="${LOOKUP_BASELINE:-}"
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
cargo build --release --bin promiseguard --example bare_lookup --example lookup_sources 2>&1 | tail -1
service=$(realpath "${LOOKUP_BINARY:-target/release/promiseguard}")
if [ -n "$baseline" ]; then
  baseline=$(realpath "$baseline")
  [ -x "$baseline" ] || { echo "LOOKUP_BASELINE=$baseline is not an executable"; exit 2; }
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src Cargo.toml Cargo.lock 2>/dev/null || commit="$commit+uncommitted"
echo "commit $commit; host $(hostname), $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); $(date -u +%FT%TZ)"
[ -n "${LOOKUP_BINARY:-}" ] && echo "measured: $service"
[ -n "$baseline" ] && echo "baseline: $baseline"

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
query='/v1/lookup?locations=loc-101,loc-102,loc-201,loc-202,loc-203&items=SUV-STD@loc-101,SUV-STD@loc-201,SUV-STD@loc-202,SUV-STD@loc-203,COMPACT@loc-201'
pace="$work/pace.lua"
echo 'function delay() return 2 end' > "$pace"

wait_for() { for _ in $(seq 1 100); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1"; exit 1; }

# serve BINARY ADDR CONFIG-FILE DIR [FIXTURES]: the service on ADDR, its database in DIR;
# prints its pid.
serve() {
  mkdir -p "$4"; cp -r "${5:-fixtures}" "$4/fixtures"
  (cd "$4" && PROMISEGUARD_CONFIG="$3" PROMISEGUARD_LISTEN="$2" PROMISEGUARD_LOOKUP__TTL_S=3600 \
    PROMISEGUARD_SCHEDULE__RECHECK=off PROMISEGUARD_SCHEDULE__SURVEYS=off \
    exec "$1" serve >"$4/serve.log" 2>&1) &
  echo $!
}

# The CPU time a process has used, in clock ticks (user + system, /proc/PID/stat).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
run() { # url [connections] [lua-script] [pid] -> "rps p99_ms cpu_us_per_request"
  local out rps p99 before after
  before=$(if [ -n "${4:-}" ]; then ticks "$4"; else echo 0; fi)
  out=$(wrk -t2 -c"${2:-64}" -d"${secs}s" --latency ${3:+-s "$3"} "$1")
  after=$(if [ -n "${4:-}" ]; then ticks "$4"; else echo 0; fi)
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}' <<<"$out")
  # The server's own CPU per request: what each side spends, apart from how the host shares
  # its cores between it, wrk and other tenants.
  awk -v r="$rps" -v s="$secs" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v p="$p99" \
    'BEGIN { printf "%s %s %.2f\n", r, p, t / hz * 1e6 / (r * s) }'
}
# Pacing: each connection waits 2 ms after each answer, so rate/500 connections would give that
# rate if answers took no time; a short trial run measures what they give, and the real run
# scales the connections by the shortfall.
paced() { # url rate -> "rps p99_ms"
  local c got
  c=$(awk -v r="$2" 'BEGIN { c = int(r * 2 / 1000 + 0.5); if (c < 2) c = 2; print c }')
  got=$(secs=3 run "$1" "$c" "$pace" | awk '{print $1}')
  c=$(awk -v c="$c" -v r="$2" -v g="$got" 'BEGIN { n = int(c * r / g + 0.5); if (n < 2) n = 2; print n }')
  run "$1" "$c" "$pace"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v o="$1" -v b="$2" 'BEGIN { printf "%.2f", o/b }'; }

summary=()
port=18080
for config in $configs; do
  dir="$work/$config"; mkdir -p "$dir"
  : > "$dir/config.toml"
  if [ "$config" = sources ]; then
    target/release/examples/lookup_sources > "$dir/upstreams" &
    pids+=($!)
    for _ in $(seq 1 100); do [ -s "$dir/upstreams" ] && break; sleep 0.1; done
    read -r google square < "$dir/upstreams"
    cat > "$dir/config.toml" <<EOF
[sources.locations]
kind = "google-business-profile"
base_url = "$google"
token = "test-token"

[sources.inventory]
kind = "square"
base_url = "$square"
token = "test-token"
batch_size = 100
EOF
  elif [ "$config" != static ]; then
    echo "unknown configuration $config (static, sources)"; exit 2
  fi
  ours=127.0.0.1:$port; bare=127.0.0.1:$((port + 1)); base=127.0.0.1:$((port + 2)); port=$((port + 10))
  ours_pid=$(serve "$service" "$ours" "$dir/config.toml" "$dir/ours"); pids+=("$ours_pid")
  base_pid=
  servers="bare ours"
  if [ -n "$baseline" ]; then
    base_pid=$(serve "$baseline" "$base" "$dir/config.toml" "$dir/base" "${LOOKUP_BASELINE_FIXTURES:-}")
    pids+=("$base_pid"); servers="bare ours base"
    wait_for "http://$base/healthz"
  fi
  wait_for "http://$ours/healthz"
  # Warm: the first ask reaches the sources; the answers after it are remembered.
  for _ in 1 2 3; do answer=$(curl -fs "http://$ours$query"); done
  [ "$answer" = "$(curl -fs "http://$ours$query")" ] || { echo "$config: the answer is not stable"; exit 1; }
  if [ -n "$baseline" ]; then
    for _ in 1 2 3; do base_answer=$(curl -fs "http://$base$query"); done
    [ "$base_answer" = "$answer" ] || echo "$config: note — the baseline's answer differs in its bytes: $base_answer"
  fi
  # The bare handler answers the same bytes from a constant fixed at its start.
  target/release/examples/bare_lookup "$bare" "$answer" & bare_pid=$!; pids+=("$bare_pid")
  wait_for "http://$bare$query"
  [ "$answer" = "$(curl -fs "http://$bare$query")" ] || { echo "answers differ:"; echo "$answer"; exit 1; }
  rss_before=$(ps -o rss= -p "$ours_pid" | tr -d ' ')

  # The machine is shared and noisy: every server runs once a round, the order turned around
  # each round, and the medians of the rounds are compared, so a burst of another tenant's load
  # cannot land on one side only.
  echo; echo "== $config: answer ${#answer} bytes"
  : > "$dir/rounds"; : > "$dir/cpu"
  for r in $(seq 1 "$rounds"); do
    order=$servers; [ $((r % 2)) = 0 ] && order=$(tr ' ' '\n' <<<"$servers" | tac | tr '\n' ' ')
    declare -A got=()
    for s in $order; do pid_of="${s}_pid"; got[$s]=$(run "http://${!s}$query" 64 "" "${!pid_of}"); done
    read -r b bp bc <<<"${got[bare]}"; read -r o op oc <<<"${got[ours]}"
    line="$r $b $bp $o $op"; cpu="$bc $oc"
    msg="round $r: bare $b req/s (p99 $bp ms, $bc µs CPU/req), promiseguard $o (p99 $op ms, $oc µs) ratio $(ratio "$o" "$b")"
    if [ -n "$baseline" ]; then
      read -r a ap ac <<<"${got[base]}"; line="$line $a $ap"; cpu="$cpu $ac"
      msg="$msg, baseline $a (p99 $ap ms, $ac µs) ratio $(ratio "$a" "$b")"
    fi
    echo "$cpu" >> "$dir/cpu"
    echo "$line" >> "$dir/rounds"; echo "$msg"
    unset got
  done
  col() { awk -v c="$1" '{print $c}' "$dir/rounds" | median; }
  # Each round's ratio, and their median (the figure): a round's two sides ran minutes apart
  # at most, so their ratio cancels most of the host's drift.
  ratios=$(awk '{printf "%.2f ", $4/$2}' "$dir/rounds")
  ours_ratio=$(awk '{print $4/$2}' "$dir/rounds" | median)
  bare_max=$(col 2); bare_p99=$(col 3); ours_max=$(col 4); ours_p99=$(col 5)
  read -r bare_half_rps bare_half_p99 _ < <(paced "http://$bare$query" "$(awk -v m="$bare_max" 'BEGIN { print m / 2 }')")
  read -r ours_half_rps ours_half_p99 _ < <(paced "http://$ours$query" "$(awk -v m="$ours_max" 'BEGIN { print m / 2 }')")
  rss_after=$(ps -o rss= -p "$ours_pid" | tr -d ' ')

  printf '\nlookup (%s): 5 locations + 5 items, warm, wrk -t2 -c64, %ss per run, median of %s rounds\n' "$config" "$secs" "$rounds"
  printf '%-22s %12s %10s %16s %14s\n' "" "max req/s" "p99 ms" "paced req/s" "paced p99 ms"
  printf '%-22s %12s %10s %16s %14s\n' "bare actix handler" "$bare_max" "$bare_p99" "$bare_half_rps" "$bare_half_p99"
  printf '%-22s %12s %10s %16s %14s\n' "promiseguard lookup" "$ours_max" "$ours_p99" "$ours_half_rps" "$ours_half_p99"
  echo "round ratios: $ratios"
  printf 'throughput ratio %.2f (median of the rounds'"'"' ratios; of the medians %.2f)\n' "$ours_ratio" "$(awk -v o="$ours_max" -v b="$bare_max" 'BEGIN { print o/b }')"
  entry="$config $(printf '%.2f' "$ours_ratio")"
  if [ -n "$baseline" ]; then
    base_ratio=$(awk '{print $6/$2}' "$dir/rounds" | median)
    echo "baseline round ratios: $(awk '{printf "%.2f ", $6/$2}' "$dir/rounds")"
    printf 'baseline throughput ratio %.2f; this build ÷ baseline, median of the rounds: %.3f\n' \
      "$base_ratio" "$(awk '{print $4/$6}' "$dir/rounds" | median)"
    entry="$entry (baseline $(printf '%.2f' "$base_ratio"))"
  fi
  cpu_col() { awk -v c="$1" '{print $c}' "$dir/cpu" | median; }
  printf 'server CPU per request (median): bare %s µs, promiseguard %s µs%s\n' "$(cpu_col 1)" "$(cpu_col 2)" \
    "$([ -n "$baseline" ] && echo ", baseline $(cpu_col 3) µs")"
  echo "promiseguard RSS: ${rss_before} KiB before, ${rss_after} KiB after"
  summary+=("$entry")
done
echo
echo "lookup throughput ÷ bare handler (target >= 0.9): ${summary[*]}"
