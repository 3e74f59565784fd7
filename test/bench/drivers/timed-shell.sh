#!/bin/bash
# A small timing driver for test/bench: spawned once by a benchmark, it reads one shell command
# per line on stdin, runs it with `eval` and answers "<exit status> <elapsed µs>" on stdout.
# The commands (git …) are forked from this small bash process, not from the large benchmark
# process, whose fork+exec costs grow with its heap. Timing uses $EPOCHREALTIME (bash ≥ 5): no
# fork for the clock. Stdout and stderr of the commands go to /dev/null unless redirected.
set -u
to_us() { local s=${1%.*} f=${1#*.}; echo $((10#$s * 1000000 + 10#$f)); }
while IFS= read -r line; do
  t0=$EPOCHREALTIME
  eval "$line" >/dev/null 2>&1
  rc=$?
  t1=$EPOCHREALTIME
  echo "$rc $(( $(to_us "$t1") - $(to_us "$t0") ))"
done
