#!/usr/bin/env python3
"""A cache hit from Python, beside a dict lookup of the same keys, in one run.

    TOOLGATE_LIBRARY=build/lib/libtoolgate.so bench/python_hit.py [--json] [--quick]

The keys are those of toolgate-bench: 10,000 ACTIVE accounts, identifiers like
user_000123@example.com, four tools that go through prefix rules, visited in a
fixed shuffled order. Every key is cached before timing. Each figure is the
median of several repetitions (after a warm-up; the three measured in turn),
with min and max, in ns of the thread's CPU time per operation, loop included
(CPU time, so that other processes on a shared machine do not count):

  python_hit_ns        gate.check(tool, identifier).allowed  (the package's hot path)
  python_async_hit_ns  (await gate.check_async(tool, identifier)).allowed, in a coroutine
  python_dict_ns       cache[key] on a dict of the same 10,000 accounts, keyed by
                       "connection\x1fidentifier" (the C and Node.js baselines' keys)
  python_hit_ratio     python_hit_ns / python_dict_ns

Printed as rows of scripts/bench's table, or with --json as lines to splice
into its JSON object (each starting with a comma).
"""
from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bindings" / "python" / "src"))

import toolgate  # noqa: E402

ACCOUNTS = 10000
TOOLS = ["gmail_send_email", "slack_post_message", "notion_create_page", "github_create_issue"]
CONNECTIONS = ["gmail", "slack", "notion", "github"]
RULES = {"map": {"calendar_create_event": "gcal", "drive_upload": "gdrive"},
         "prefixes": {"gmail_": "gmail", "slack_": "slack", "notion_": "notion",
                      "github_": "github", "gmail_admin_": "gadmin", "jira_": "jira"}}
TARGET_HIT_NS = 1500.0

# (tool, identifier, "connection\x1fidentifier"): both loops walk the same rows.
Keys = List[Tuple[str, str, str]]


def keys_and_gate(directory: Path) -> Tuple[Keys, toolgate.Gate]:
    keys = [(TOOLS[i % 4], f"user_{i:06d}@example.com",
             f"{CONNECTIONS[i % 4]}\x1fuser_{i:06d}@example.com") for i in range(ACCOUNTS)]
    (directory / "accounts.json").write_text(json.dumps({
        "link_base": "https://connect.example.com/authorize",
        "accounts": [{"connection": CONNECTIONS[i % 4], "identifier": ident, "status": "ACTIVE"}
                     for i, (_, ident, _) in enumerate(keys)]}))
    gate = toolgate.Gate.from_json(json.dumps({
        "provider": {"type": "file", "path": "accounts.json"}, "tools": RULES,
        "cache": {"active_ttl_ms": 86400000, "inactive_ttl_ms": 86400000,
                  "max_entries": 100000}}), base_dir=directory)
    random.Random(12345).shuffle(keys)
    for tool, ident, _ in keys:
        if not gate.check(tool, ident).allowed:
            raise SystemExit(f"python_hit: warm-up check of {ident} was not ALLOW")
    return keys, gate


def time_hits(gate: toolgate.Gate, keys: Keys, rounds: int) -> float:
    check = gate.check
    wrong = 0
    t0 = time.thread_time_ns()
    for _ in range(rounds):
        for tool, ident, _ in keys:
            if not check(tool, ident).allowed:
                wrong += 1
    elapsed = time.thread_time_ns() - t0
    if wrong:
        raise SystemExit("python_hit: a hit was not ALLOW")
    return elapsed / (rounds * len(keys))


def time_async_hits(gate: toolgate.Gate, keys: Keys, rounds: int) -> float:
    check = gate.check_async

    async def run() -> float:
        wrong = 0
        t0 = time.thread_time_ns()
        for _ in range(rounds):
            for tool, ident, _ in keys:
                if not (await check(tool, ident)).allowed:
                    wrong += 1
        elapsed = time.thread_time_ns() - t0
        if wrong:
            raise SystemExit("python_hit: an async hit was not ALLOW")
        return elapsed / (rounds * len(keys))

    return asyncio.run(run())


def time_dict(cache: Dict[str, bool], keys: Keys, rounds: int) -> float:
    wrong = 0
    t0 = time.thread_time_ns()
    for _ in range(rounds):
        for _tool, _ident, key in keys:
            if not cache[key]:
                wrong += 1
    elapsed = time.thread_time_ns() - t0
    if wrong:
        raise SystemExit("python_hit: a dict lookup missed")
    return elapsed / (rounds * len(keys))


def main() -> None:
    args = sys.argv[1:]
    unknown = [a for a in args if a not in ("--json", "--quick")]
    if unknown:
        raise SystemExit(f"python_hit: unknown argument {unknown[0]!r}")
    quick = "--quick" in args
    reps, rounds = (5, 2) if quick else (9, 5)
    with tempfile.TemporaryDirectory() as tmp:
        keys, gate = keys_and_gate(Path(tmp))
        with gate:
            cache = {key: True for _, _, key in keys}
            # Interleaved, so load on the machine touches all three alike.
            hit: List[float] = []
            async_hit: List[float] = []
            baseline: List[float] = []
            for run in range(reps + 1):
                h = time_hits(gate, keys, rounds)
                a = time_async_hits(gate, keys, rounds)
                b = time_dict(cache, keys, rounds)
                if run:  # the first round is the warm-up
                    hit.append(h)
                    async_hit.append(a)
                    baseline.append(b)
            misses = gate.stats()["misses"]
    results = {name: {"median": statistics.median(s), "min": min(s), "max": max(s)}
               for name, s in (("hit", hit), ("async", async_hit), ("dict", baseline))}
    ratio = results["hit"]["median"] / results["dict"]["median"]
    if misses != ACCOUNTS:  # the warm-up's, and not one more
        raise SystemExit("python_hit: timed checks reached the provider")
    if "--json" in args:
        for key, name in (("python_hit_ns", "hit"), ("python_async_hit_ns", "async"),
                          ("python_dict_ns", "dict")):
            print(f'  ,"{key}": {results[name]["median"]:.4g}')
            print(f'  ,"{key}_min": {results[name]["min"]:.4g}')
            print(f'  ,"{key}_max": {results[name]["max"]:.4g}')
        print(f'  ,"python_hit_ratio": {ratio:.4g}')
        return
    rows = (("python: gate.check(...).allowed", "hit",
             f"<= {TARGET_HIT_NS:.0f} ns; {ratio:.1f}x dict"),
            ("python: await gate.check_async", "async", ""),
            ("python baseline: dict[key]", "dict", ""))
    for label, name, note in rows:
        r = results[name]
        print(f"{label:<34} {r['median']:12.1f} {r['min']:12.1f} {r['max']:12.1f}  "
              f"{'ns':<6} {note}")


if __name__ == "__main__":
    main()
