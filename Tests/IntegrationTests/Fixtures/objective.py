#!/usr/bin/env python3
# A sweep program objective for the tests: --x=.. --y=.. [--fail=..] arguments, W&B style.
# Prints one JSON line per "epoch" and a final one; appends its trial folder to LEDGER when done.
# With --fail=always it exits 1; with --fail=once it fails only on a trial's first attempt.
import json, math, os, sys, time

args = dict(a.lstrip("-").split("=", 1) for a in sys.argv[1:])
x, y = float(args["x"]), float(args.get("y", 0))
trial = os.environ.get("RINGTRAIN_TRIAL_DIR", "?")
fail = args.get("fail", "never")
marker = os.path.join(trial, "failed-once")
if fail == "always" or (fail == "once" and not os.path.exists(marker)):
    open(marker, "w").close()
    print("objective: failing on purpose", file=sys.stderr)
    sys.exit(1)
epochs = int(os.environ.get("OBJECTIVE_EPOCHS", "3"))
pause = float(os.environ.get("OBJECTIVE_PAUSE", "0"))
value = (x - 0.3) ** 2 + (y - 0.7) ** 2
for epoch in range(1, epochs + 1):
    time.sleep(pause)
    print(json.dumps({"epoch": epoch, "score": value + 1.0 / epoch}), flush=True)
print(json.dumps({"score": value}), flush=True)
ledger = os.environ.get("LEDGER")
if ledger:
    with open(ledger, "a") as f:
        f.write(trial + "\n")
