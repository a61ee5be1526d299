#!/usr/bin/env python3
"""A distributed trial's program (no torch): checks the rank environment ringtrain sets, meets its
peers at MASTER_ADDR:MASTER_PORT over TCP (rank 0 serves, the others connect), checks that every
rank got the same parameters, and prints the metric `value` = x² from rank 0 only. Every other rank
prints a decoy metric that must never be taken for the trial's.

Environment (optional): RANKS_LOG, a file each rank appends one JSON line to (rank, x, local rank and
size, network namespace, pid, trial folder, attempt, start and end); HOLD, seconds every rank waits
after meeting; HOLD_FIRST, seconds it waits in a trial's first attempt instead. On SIGTERM a rank
takes STOP_TAKES seconds (default 1.5) to wind up, ignoring further SIGTERMs, then logs
{"stopped": true, ...} and exits 143."""
import json
import os
import signal
import socket
import sys
import time

args = dict(a.lstrip("-").split("=", 1) for a in sys.argv[1:])
x = float(args["x"])
names = ["RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"]
missing = [n for n in names if n not in os.environ]
if missing:
    sys.exit("rendezvous.py: missing " + ", ".join(missing))
rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
local, local_world = int(os.environ["LOCAL_RANK"]), int(os.environ["LOCAL_WORLD_SIZE"])
if not (0 <= rank < world and 0 <= local < local_world <= world):
    sys.exit(f"rendezvous.py: inconsistent ranks {rank}/{world}, local {local}/{local_world}")
attempt = int(os.environ.get("RINGTRAIN_TRIAL_ATTEMPT", "0"))


def wind_up(*_):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(float(os.environ.get("STOP_TAKES", "1.5")))
    if os.environ.get("RANKS_LOG"):
        with open(os.environ["RANKS_LOG"], "a") as f:
            f.write(json.dumps({"rank": rank, "stopped": True, "pid": os.getpid(), "trial": os.environ.get("RINGTRAIN_TRIAL_DIR", "")}) + "\n")
    os._exit(143)


signal.signal(signal.SIGTERM, wind_up)
start = time.time()
address = (os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]))
me = {"rank": rank, "world": world, "x": x, "local": local, "local_world": local_world,
      "net": os.stat("/proc/self/ns/net").st_ino, "pid": os.getpid(), "attempt": attempt,
      "trial": os.environ.get("RINGTRAIN_TRIAL_DIR", "")}

if rank == 0:
    server = socket.create_server(address)
    server.settimeout(60)
    peers, connections = [me], []
    for _ in range(world - 1):
        connection, _ = server.accept()
        peers.append(json.loads(connection.makefile().readline()))
        connections.append(connection)
    if sorted(p["rank"] for p in peers) != list(range(world)) or any(p["x"] != x for p in peers):
        sys.exit(f"rendezvous.py: peers disagree: {peers}")
    total = sum(p["rank"] for p in peers)
    for connection in connections:
        connection.sendall((json.dumps({"sum": total}) + "\n").encode())
else:
    deadline = time.time() + 60
    while True:
        try:
            connection = socket.create_connection(address, timeout=5)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
    connection.sendall((json.dumps(me) + "\n").encode())
    total = json.loads(connection.makefile().readline())["sum"]
    print(json.dumps({"value": -1000.0}), flush=True)
if total != world * (world - 1) // 2:
    sys.exit(f"rendezvous.py: rank sum {total}")

hold = float(os.environ.get("HOLD_FIRST" if attempt == 1 and "HOLD_FIRST" in os.environ else "HOLD", "0"))
if os.environ.get("RANKS_LOG"):
    with open(os.environ["RANKS_LOG"], "a") as f:
        f.write(json.dumps(dict(me, start=start, end=time.time() + hold)) + "\n")
time.sleep(hold)
if rank == 0:
    print(json.dumps({"value": x * x}), flush=True)
