#!/usr/bin/env python3
"""Checks a Chrome trace (Trace Event Format, JSON object form) as a viewer would read it,
written apart from ringtrain's writer: event fields and types, metadata naming every process and
thread, each thread's complete events nested and ordered, and each step's top-level phases
summing to the step. Prints one JSON object of findings; exits 1 with the problems found.

usage: check_chrome_trace.py TRACE.json RANKS
"""
import json
import statistics
import sys

TOP_LEVEL = {"gather", "forward", "backward", "exchange", "finite_check"}


def main():
    path, ranks = sys.argv[1], int(sys.argv[2])
    with open(path) as f:
        trace = json.load(f)
    problems = []
    events = trace.get("traceEvents")
    if not isinstance(events, list) or not events:
        print(json.dumps({"problems": ["traceEvents is not a non-empty list"]}))
        return 1
    if trace.get("displayTimeUnit") not in ("ms", "ns"):
        problems.append("displayTimeUnit must be ms or ns")

    names = {}          # (ph, name) -> count
    process_names, thread_names = {}, {}
    spans = {}          # (pid, tid) -> [(ts, dur, name, args)]
    counters = {}       # pid -> [(ts, value)]
    for e in events:
        ph = e.get("ph")
        if ph not in ("X", "M", "C", "i"):
            problems.append(f"unexpected phase {ph!r}")
            continue
        for key in ("name", "pid", "tid") if ph != "C" else ("name", "pid"):
            if key not in e:
                problems.append(f"{ph} event without {key}: {e}")
        names[(ph, e.get("name"))] = names.get((ph, e.get("name")), 0) + 1
        if ph == "M":
            if e["name"] == "process_name":
                process_names[e["pid"]] = e["args"]["name"]
            elif e["name"] == "thread_name":
                thread_names[(e["pid"], e["tid"])] = e["args"]["name"]
            continue
        ts = e.get("ts")
        if not isinstance(ts, (int, float)) or ts < 0:
            problems.append(f"bad ts in {e}")
            continue
        if ph == "X":
            dur = e.get("dur")
            if not isinstance(dur, (int, float)) or dur < 0:
                problems.append(f"bad dur in {e}")
                continue
            spans.setdefault((e["pid"], e["tid"]), []).append((ts, dur, e["name"], e.get("args", {})))
        elif ph == "C":
            values = list(e.get("args", {}).values())
            if len(values) != 1 or not isinstance(values[0], (int, float)):
                problems.append(f"counter without one numeric value: {e}")
                continue
            counters.setdefault(e["pid"], []).append((ts, values[0]))

    pids = sorted({pid for pid, _ in spans})
    if pids != list(range(ranks)):
        problems.append(f"span processes {pids}, expected ranks 0..{ranks - 1}")
    for pid in pids:
        if pid not in process_names:
            problems.append(f"process {pid} has no process_name")
    for key in spans:
        if key not in thread_names:
            problems.append(f"thread {key} has no thread_name")

    # Nesting and order, as a viewer stacks them: sorted by start (longer first on ties), every
    # span lies wholly inside the enclosing open one or starts after it ends.
    epsilon = 0.0005  # microseconds: the file's times have three decimals
    ratios = []
    steps_seen = {}
    for key, items in spans.items():
        items.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for ts, dur, name, args in items:
            # Close the open spans this one starts after (a zero-length span at an end stays inside).
            while stack and ts >= stack[-1][0] + stack[-1][1] - epsilon and ts + dur > stack[-1][0] + stack[-1][1] + epsilon:
                stack.pop()
            if stack and ts + dur > stack[-1][0] + stack[-1][1] + epsilon:
                problems.append(f"{key}: {name} at {ts} (+{dur}) overlaps {stack[-1][2]} at {stack[-1][0]} (+{stack[-1][1]}) without nesting")
            stack.append((ts, dur, name))
        # Each step's top-level phases (its direct children) against the step.
        step_spans = [(ts, dur, args) for ts, dur, name, args in items if name == "step" and not args.get("failed")]
        steps_seen[key[0]] = len(step_spans)
        children = {}
        for ts, dur, name, args in items:
            if name in TOP_LEVEL and "step" in args:
                children.setdefault(args["step"], []).append((ts, dur))
        for ts, dur, args in step_spans:
            parts = children.get(args["step"], [])
            inside = [d for t, d in parts if t >= ts - epsilon and t + d <= ts + dur + epsilon]
            if dur > 0:
                ratios.append(abs(sum(inside) - dur) / dur)

    for pid, values in counters.items():
        values.sort()
        if any(b[1] < a[1] for a, b in zip(values, values[1:])):
            problems.append(f"bytes-sent counter of process {pid} decreases")

    median_gap = statistics.median(ratios) if ratios else None
    if median_gap is None:
        problems.append("no steps")
    elif median_gap > 0.05:
        problems.append(f"top-level phases differ from their step by {median_gap:.3%} (median), more than 5%")
    print(json.dumps({
        "problems": problems[:20],
        "problem_count": len(problems),
        "steps_per_rank": steps_seen,
        "median_gap": median_gap,
        "span_names": sorted({n for (ph, n) in names if ph == "X"}),
        "counter_processes": sorted(counters),
        "process_names": {str(k): v for k, v in process_names.items()},
    }))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
