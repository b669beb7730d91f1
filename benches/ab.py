#!/usr/bin/env python3
"""Two builds of one command, side by side: whole-process wall time of A and B on the same
arguments, in interleaved pairs (A B, B A, A B ...: neither always runs second), after one
warm-up each; prints both medians and B/A. Output is read through a pipe and thrown away, as
benches/search.sh does.

    benches/ab.py PAIRS A B -- ARGS...

    benches/ab.py 31 /tmp/before/archeo target/release/archeo -- search unix --at runc@v1.3.3

For an A/B of `archeo-full` commands (explain, affected, deps) give the two `archeo-full`
binaries; copy each build's `archeo` and `archeo-full` together (the front refuses a full binary
of another build). The environment is passed through (ARCHEO_INDEX_DIR, ARCHEO_CACHE_DIR).
"""
import os
import statistics
import sys
import time


def timed(cmd):
    r, w = os.pipe()
    devnull = os.open(os.devnull, os.O_WRONLY)
    fa = [(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_DUP2, devnull, 2),
          (os.POSIX_SPAWN_CLOSE, r)]
    t = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=fa)
    os.close(w)
    while os.read(r, 1 << 16):
        pass
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - t
    os.close(r)
    os.close(devnull)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # grep's: found, nothing found; anything else is a failed run
        sys.exit(f"{' '.join(cmd)}: exit code {code}")
    return elapsed


def main():
    argv = sys.argv[1:]
    if len(argv) < 5 or argv[3] != "--":
        sys.exit(__doc__)
    pairs, a, b, args = int(argv[0]), argv[1], argv[2], argv[4:]
    ta, tb = [], []
    timed([a] + args), timed([b] + args)
    for i in range(pairs):
        order = ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta))
        for binary, into in order:
            into.append(timed([binary] + args))
    ma, mb = statistics.median(ta) * 1000, statistics.median(tb) * 1000
    print(f"A {ma:.2f} ms  B {mb:.2f} ms  B/A {mb / ma:.3f}  ({pairs} pairs: {' '.join(args)})")


main()
