#!/usr/bin/env bash
# Fuzzes every target for SECONDS each (default 10) under libFuzzer's memory limits, after seeding
# each corpus from the repository's own files (and, when RUVSIM_MODEL_DIR is set, the real model
# and tokenizer), and prints a table: target, seconds, executions, crashes. Exits non-zero when a
# target crashes, leaks or allocates past the limit (its reproducer is left in fuzz/artifacts/).
#
#   fuzz/run.sh          # 10 s per target
#   fuzz/run.sh 600      # 10 minutes per target
#   FUZZ_RUNS=5000 fuzz/run.sh   # exactly 5,000 executions per target from seed 1: repeatable
#                                # (what CI runs, so that its result does not depend on timing)
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`); prints why and exits 0
# when either is missing, so that CI on a stable-only machine skips it.
set -uo pipefail
seconds="${1:-10}"
cd "$(dirname "$0")"
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzzing skipped: no nightly toolchain (libFuzzer's instrumentation needs one; rustup toolchain install nightly)"
  exit 0
fi
if ! cargo +nightly fuzz --help >/dev/null 2>&1; then
  echo "fuzzing skipped: cargo-fuzz is not installed (cargo install cargo-fuzz)"
  exit 0
fi
targets=(model_file llama2c_import tokenizer trace_record trace_file trace_verify scenario calibration_overrides)
seed() { # target, files...
  local dir="corpus/$1"
  shift
  mkdir -p "$dir"
  for file in "$@"; do
    [ -f "$file" ] && cp "$file" "$dir/$(basename "$file")"
  done
}
seed scenario ../scenarios/*.toml ../validation/*.toml ../traces/synthetic/*.toml
seed calibration_overrides ../hw/src/calibration/*.toml
seed trace_file ../traces/*.trace ../traces/synthetic/*.trace
seed trace_verify ../traces/*.trace ../traces/synthetic/*.trace
mkdir -p corpus/trace_record
for trace in ../traces/*.trace ../traces/synthetic/*.trace; do
  n=0
  while IFS= read -r line && [ $n -lt 40 ]; do
    n=$((n + 1))
    printf '%s' "$line" > "corpus/trace_record/$(basename "$trace")-$n"
  done < "$trace"
done
if [ -n "${RUVSIM_MODEL_DIR:-}" ]; then
  seed llama2c_import "$RUVSIM_MODEL_DIR/stories260K.bin"
  mkdir -p corpus/tokenizer
  # The target reads the vocabulary size from two bytes before the file: 512.
  { printf '\x00\x02'; cat "$RUVSIM_MODEL_DIR/tok512.bin"; } > corpus/tokenizer/tok512
fi
mkdir -p corpus/model_file corpus/llama2c_import corpus/tokenizer
cargo +nightly fuzz build -O >/dev/null 2>&1 || { echo "fuzz targets failed to build"; cargo +nightly fuzz build -O; exit 1; }
status=0
if [ -n "${FUZZ_RUNS:-}" ]; then
  budget=(-runs="$FUZZ_RUNS" -seed=1)
  seconds="-"
else
  budget=(-max_total_time="$seconds")
fi
printf '| target | seconds | executions | crashes |\n|---|---:|---:|---:|\n'
for target in "${targets[@]}"; do
  log="$(mktemp)"
  started=$SECONDS
  cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
    "${budget[@]}" -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
    -print_final_stats=1 >"$log" 2>&1
  code=$?
  [ -n "${FUZZ_RUNS:-}" ] && seconds=$((SECONDS - started))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=0
  if [ $code -ne 0 ]; then
    crashes=1
    status=1
    grep -E 'ERROR|panicked|SUMMARY' "$log" | head -5 >&2
  fi
  printf '| %s | %s | %s | %s |\n' "$target" "$seconds" "${runs:-0}" "$crashes"
  rm -f "$log"
done
exit $status
