#!/usr/bin/env bash
# Runs the library's Ethernet scale design (scenarios/scale-ethernet-1m.toml: five-chip S3 boards,
# a W5500 on each board's chip 0, a host per 47 boards) at several board counts under
# /usr/bin/time -v and prints one line per size: chips, wall seconds, max RSS, engine events and
# events per second. The README's "Scaling the simulator" table comes from it:
#
#   cargo build --release
#   scripts/scale-runs.sh target/release/ruvsim            # 205, 3,277, 26,215, 209,716 boards
#   scripts/scale-runs.sh target/release/ruvsim 20000      # any board counts
set -euo pipefail
bin="$(realpath "${1:?usage: scale-runs.sh RUVSIM_BINARY [BOARDS...]}")"
shift
boards=("$@")
if [ ${#boards[@]} -eq 0 ]; then
  boards=(205 3277 26215 209716)
fi
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf '%10s %10s %12s %12s %14s\n' chips wall_s max_rss_mb events events_per_s
for n in "${boards[@]}"; do
  scenario="$work/scale-ethernet-$n.toml"
  sed -e "s/chips = 209716 }/chips = $n }/" \
      -e "s/^replicas = 209716 /replicas = $n /" \
      -e "s/concurrency = 209716 }/concurrency = $n }/" \
      -e "s/^requests = 209716/requests = $n/" \
      -e "s/^name = \"scale-ethernet-1m\"/name = \"scale-ethernet-$n\"/" \
      scenarios/scale-ethernet-1m.toml > "$scenario"
  /usr/bin/time -v "$bin" run "$scenario" --out "$work/out-$n" > "$work/stdout-$n" 2> "$work/time-$n"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time-$n" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time-$n")
  events=$(awk '/engine events/ {gsub(",", "", $3); print $3}' "$work/stdout-$n")
  printf '%10d %10.2f %12.0f %12d %14.0f\n' $((n * 5)) "$wall" "$((rss_kb / 1024))" "$events" \
    "$(awk -v e="$events" -v w="$wall" 'BEGIN { print e / w }')"
done
