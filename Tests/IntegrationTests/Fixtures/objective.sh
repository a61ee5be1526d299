#!/bin/sh
# A fast sweep program objective for the attack tests: --x=.. --y=.. [--fail=once|always] arguments.
# Prints one JSON line per "epoch", then a final one, then appends its trial folder to $LEDGER.
# OBJECTIVE_EPOCHS (default 3) and OBJECTIVE_PAUSE (seconds per epoch) shape it; with
# OBJECTIVE_IGNORE_TERM set it ignores SIGTERM, as a careless program would; with
# OBJECTIVE_TERM_FILE=PATH it writes PATH when SIGTERM asks it to stop.
x=0; y=0; fail=never
for a in "$@"; do
  case "$a" in --x=*) x=${a#--x=};; --y=*) y=${a#--y=};; --fail=*) fail=${a#--fail=};; esac
done
trial=${RINGTRAIN_TRIAL_DIR:-?}
[ -n "$OBJECTIVE_IGNORE_TERM" ] && trap '' TERM
[ -n "$OBJECTIVE_TERM_FILE" ] && trap 'echo stopped > "$OBJECTIVE_TERM_FILE"; exit 143' TERM
if [ "$fail" = always ] || { [ "$fail" = once ] && [ ! -e "$trial/failed-once" ]; }; then
  : > "$trial/failed-once"
  echo "objective: failing on purpose" >&2
  exit 1
fi
value=$(awk -v x="$x" -v y="$y" 'BEGIN { printf "%.6f", (x - 0.3) ^ 2 + (y - 0.7) ^ 2 }')
e=1
while [ "$e" -le "${OBJECTIVE_EPOCHS:-3}" ]; do
  [ -n "$OBJECTIVE_PAUSE" ] && sleep "$OBJECTIVE_PAUSE"
  awk -v v="$value" -v e="$e" 'BEGIN { printf "{\"epoch\": %d, \"score\": %.6f}\n", e, v + 1.0 / e }'
  e=$((e + 1))
done
echo "{\"score\": $value}"
[ -n "$LEDGER" ] && echo "$trial" >> "$LEDGER"
exit 0
