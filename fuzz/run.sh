#!/usr/bin/env bash
# Fuzzes every target for SECONDS each (default 10) under an address-space limit, after seeding
# each corpus from the repository's own files (and, when RUVSIM_MODEL_DIR is set, the real model
# and tokenizer), and prints a table: target, seconds, executions, crashes. Exits non-zero when a
# target panics (debug assertions on, so arithmetic overflow panics too), aborts or allocates past
# the limit (its reproducer is left in fuzz/artifacts/).
#
#   fuzz/run.sh          # 10 s per target
#   fuzz/run.sh 600      # 10 minutes per target
#   FUZZ_RUNS=5000 fuzz/run.sh   # exactly 5,000 executions per target from seed 1: repeatable
#                                # (what CI runs, so that its result does not depend on timing)
#   FUZZ_TARGETS="scenario tokenizer" FUZZ_RUNS=10000000 fuzz/run.sh   # some targets only
#
# The targets are built without a sanitizer so that `ulimit -v` (FUZZ_ADDRESS_SPACE_MB, default
# 4096) bounds each process's address space: an allocation past it fails and aborts, which
# libFuzzer reports as a crash. (AddressSanitizer reserves terabytes of shadow memory, so no
# address-space limit can apply under it; the workspace's only unsafe code calls an AVX2-compiled
# copy of safe code after detecting AVX2, and registers a serial port's descriptor: no pointers.)
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
read -r -a targets <<<"${FUZZ_TARGETS:-model_file llama2c_import tokenizer trace_record trace_file trace_verify scenario calibration_overrides}"
address_space_kb=$((${FUZZ_ADDRESS_SPACE_MB:-4096} * 1024))
# Longest input per target: binary files keep room for a real model's header and first tensors;
# text inputs are cut to 4 KiB (a trace's headers and its first tokens), which runs several times
# faster than whole files and still reaches every record kind.
max_len() {
  case "$1" in
    model_file | llama2c_import | tokenizer) echo 65536 ;;
    *) echo 4096 ;;
  esac
}
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
build=(-O --debug-assertions --sanitizer none)
host="$(rustc +nightly -vV | sed -n 's/^host: //p')"
cargo +nightly fuzz build "${build[@]}" >/dev/null 2>&1 || { echo "fuzz targets failed to build"; cargo +nightly fuzz build "${build[@]}"; exit 1; }
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
  mkdir -p "artifacts/$target"
  (
    # The built fuzzer itself, so that only it runs under the limit (`cargo fuzz run` would
    # rebuild first when a source changed, and a compiler does not fit in the limit).
    ulimit -v "$address_space_kb"
    "target/$host/release/$target" "corpus/$target" -artifact_prefix="artifacts/$target/" \
      "${budget[@]}" -rss_limit_mb=2048 -max_len="$(max_len "$target")" -print_final_stats=1
  ) >"$log" 2>&1
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
