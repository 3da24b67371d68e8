#!/usr/bin/env bash
# Runs every library scenario, sweep file and the experiment commands into one folder and prints a SHA-256
# digest per output file, so two builds of ruvsim can be compared byte for byte:
#
#   scripts/output-digests.sh target/release/ruvsim /tmp/before > before.txt
#   ... change the code, rebuild ...
#   scripts/output-digests.sh target/release/ruvsim /tmp/after > after.txt
#   diff before.txt after.txt        # empty when behaviour did not change
#
# Set RUVSIM_MODEL_DIR to the folder with stories260K.bin and tok512.bin to include the scenarios
# that need the real model; without it they are listed as skipped.
set -euo pipefail
bin="$(realpath "${1:?usage: output-digests.sh RUVSIM_BINARY OUT_DIR}")"
out="${2:?usage: output-digests.sh RUVSIM_BINARY OUT_DIR}"
cd "$(dirname "$0")/.."
rm -rf "$out"
mkdir -p "$out"
model_dir="${RUVSIM_MODEL_DIR:-}"

run() { # name, command...
  local name="$1"
  shift
  if ! "$@" >"$out/$name.stdout" 2>"$out/$name.stderr"; then
    echo "exit-failure $name"
  fi
}

for scenario in scenarios/*.toml; do
  name="$(basename "$scenario" .toml)"
  if [ "$name" = event-gated ]; then
    run "gated-$name" "$bin" gated "$scenario" --out "$out/gated-$name"
  elif [ "${name#sweep-}" != "$name" ]; then
    run "$name" "$bin" sweep "$scenario" --out "$out/$name"
  else
    run "run-$name" "$bin" run "$scenario" --out "$out/run-$name"
  fi
done
run project-100000 "$bin" project --chips 100000 --out "$out/project-100000"
run project-small "$bin" project --chips 40 --max-sim-chips 80 --chip-price-usd 4 --out "$out/project-small"
run gossip "$bin" gossip --sizes 256,1024 --seeds 2 --out "$out/gossip"
if [ -n "$model_dir" ]; then
  run verify "$bin" verify scenarios/stories260k-s3-psram.toml --trace traces/esp32-llm-s3-summary.trace \
    --model-dir "$model_dir" --tolerance 25 --out "$out/verify"
  run import "$bin" model import --llama2c "$model_dir/stories260K.bin" --precision int8 -o "$out/stories-int8.ruvm"
  run info "$bin" model info "$out/stories-int8.ruvm"
fi
for trace in traces/synthetic/*.trace; do
  name="$(basename "$trace" .trace)"
  run "calibrate-$name" "$bin" calibrate --trace "$trace" -o "$out/calibrate-$name.toml"
done
run verify-pipeline3 "$bin" verify traces/synthetic/pipeline3-spi.toml --trace traces/synthetic/pipeline3-spi.trace \
  --out "$out/verify-pipeline3"
run verify-single "$bin" verify traces/synthetic/single-int8.toml --trace traces/synthetic/single-int8.trace \
  --out "$out/verify-single"

# Digests, with the output folder's own path, host wall times and the progress lines a long run
# prints every few seconds (ruvsim: NAME: 10 s, simulating, ...) taken out of what was printed.
cd "$out"
find . -type f | LC_ALL=C sort | while read -r file; do
  digest="$(sed -e "s#$out#OUT#g" -e '/host wall time/d' -e '/^ruvsim: [^:]*: [0-9]* s, /d' "$file" | sha256sum | cut -d' ' -f1)"
  printf '%s  %s\n' "$digest" "$file"
done
