#!/usr/bin/env bash
# bench/alternate: an A/B of two builds of one benchmark on this host — A and B run in turn for
# ROUNDS rounds, the order turned around each round (A B, B A, A B, …), so a burst of another
# tenant's load cannot land on one side only; then the medians of each side's figures.
#
# Usage: bash bench/alternate.sh ROUNDS 'command A' 'command B'
#   e.g. bash bench/alternate.sh 7 'old/sweep --rounds 1' 'target/release/deps/sweep-… --rounds 1'
# Each command must print its figures on its last line as `name value` pairs or `name value
# unit` (`… sweep 7594 emails/s, ratio 0.82 …`): every number that follows a word on that line
# is collected under that word, and the medians of `ratio` (and of any other word given in
# FIGURES, default "ratio") are compared. Each run's whole output is kept in a folder it names.
set -euo pipefail
rounds="${1:?rounds}"; a="${2:?command A}"; b="${3:?command B}"
figures="${FIGURES:-ratio}"
out=$(mktemp -d)
echo "A: $a"; echo "B: $b"; echo "outputs in $out"
# figure FILE WORD: the number after WORD on the last line of FILE.
figure() { tail -n 1 "$1" | tr ',:;()' '     ' | awk -v w="$2" '{ for (i = 1; i < NF; i++) if ($i == w && $(i+1) ~ /^[0-9.]+$/) { print $(i+1); exit } }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for r in $(seq 1 "$rounds"); do
  order="A B"; [ $((r % 2)) = 0 ] && order="B A"
  for side in $order; do
    cmd=$a; [ "$side" = B ] && cmd=$b
    bash -c "$cmd" > "$out/$side-$r.txt" 2>&1 || { echo "round $r, $side failed:"; tail -5 "$out/$side-$r.txt"; exit 1; }
    printf 'round %s %s: %s\n' "$r" "$side" "$(tail -n 1 "$out/$side-$r.txt")"
  done
done
for w in $figures; do
  ma=$(for r in $(seq 1 "$rounds"); do figure "$out/A-$r.txt" "$w"; done | median)
  mb=$(for r in $(seq 1 "$rounds"); do figure "$out/B-$r.txt" "$w"; done | median)
  echo "A rounds $w: $(for r in $(seq 1 "$rounds"); do figure "$out/A-$r.txt" "$w"; done | tr '\n' ' ')"
  echo "B rounds $w: $(for r in $(seq 1 "$rounds"); do figure "$out/B-$r.txt" "$w"; done | tr '\n' ' ')"
  awk -v w="$w" -v a="$ma" -v b="$mb" 'BEGIN { printf "median %s: A %s, B %s, B ÷ A %.3f\n", w, a, b, b / a }'
done
