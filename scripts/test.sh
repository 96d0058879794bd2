#!/bin/sh
# `npm test`: the type check and lint run while vitest runs (its first minutes build images and
# start labs, mostly waiting on Docker), and their output is printed after vitest's; the run fails
# if any of them failed.
static_log=$(mktemp)
npm run -s static >"$static_log" 2>&1 &
static_pid=$!
vitest run "$@"
tests=$?
wait "$static_pid"
static=$?
if [ "$static" -ne 0 ]; then
  echo "npm test: the type check or lint failed:"
  cat "$static_log"
else
  echo "npm test: type check and lint passed"
fi
rm -f "$static_log"
[ "$tests" -eq 0 ] && [ "$static" -eq 0 ]
