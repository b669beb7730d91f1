#!/usr/bin/env bash
# Search benchmark: whole-process wall time of `archeo search`, warm cache, medians, beside
# git grep over the same commits, codesearch (cindex/csearch, a trigram index), ripgrep and ugrep,
# all measured in this one run (runs interleaved: A B C D E A B C D E ...).
#
# What each peer searches: git grep reads the commits from the bare repository in archeo's cache;
# for the every-revision rows codesearch, ripgrep and ugrep search one directory holding each
# distinct blob of those revisions once (`git ls-tree -r` of every commit, symlinks left out,
# `sort -u` by object id, written by `git cat-file --batch`: the same distinct file versions
# archeo indexes); for the one-revision rows they search a checkout of REPO@REV made with
# `git archive REV | tar -x` (no .git directory, so no ignore file applies). Flags: case-insensitive
# and line numbers everywhere (`rg -n -i --no-ignore --hidden`, `ugrep -r -n -i -I`, `csearch -i -n`,
# `git grep -n -i -I`); ripgrep and ugrep skip binary files by default, git grep with -I.
#
#   benches/search.sh [REPO] [REV] [RUNS]      (defaults: runc v1.3.3 15)
#
# Figures: `openat2` over every pinned revision of REPO; a query with no hits; the 20-term list
# at REPO@REV (p50 and max of the per-term medians). Also the spawn floor (/bin/true) and the
# machine. Needs `archeo fetch && archeo index` done for the manifest in the current directory;
# codesearch, ripgrep and ugrep are optional (apt-get install codesearch ripgrep ugrep): a peer
# that is not installed has its column left out.
set -euo pipefail
repo=${1:-runc}
rev=${2:-v1.3.3}
runs=${3:-15}
bin=${ARCHEO_BIN:-target/release/archeo}
[ -x "$bin" ] || cargo build --release --quiet
cache=${ARCHEO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/archeo}
gitdir=$cache/git/$repo.git
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
commits=$("$bin" pins --format json | python3 -c "import sys,json; print(' '.join(j['commit'] for j in map(json.loads, sys.stdin) if j['repo']=='$repo'))")
at=$("$bin" pins --format json | python3 -c "import sys,json; print(next(j['commit'] for j in map(json.loads, sys.stdin) if j['repo']=='$repo' and j['rev']=='$rev'))")

# The peers' corpora: every distinct blob of every pinned revision of REPO (one file each), and a
# checkout of REPO@REV.
mkdir -p "$work/all" "$work/one"
for c in $commits; do git --git-dir "$gitdir" ls-tree -r "$c"; done \
  | awk '$2 == "blob" && $1 != "120000" {print $3}' | sort -u \
  | git --git-dir "$gitdir" cat-file --batch \
  | python3 -c '
import sys
out = sys.argv[1]
r = sys.stdin.buffer
while True:
    h = r.readline()
    if not h: break
    f = h.split()
    if len(f) == 2:  # "<oid> missing": a blob a partial clone left out (archeo: unavailable)
        continue
    oid, _, n = f
    data = r.read(int(n)); r.read(1)
    open(f"{out}/{oid.decode()}", "wb").write(data)
' "$work/all"
git --git-dir "$gitdir" archive "$at" | tar -x -C "$work/one"
have_cs=0
if command -v cindex >/dev/null && command -v csearch >/dev/null; then
  have_cs=1
  CSEARCHINDEX=$work/cs-all cindex "$work/all" >/dev/null 2>&1
  CSEARCHINDEX=$work/cs-one cindex "$work/one" >/dev/null 2>&1
fi
have_rg=0; command -v rg >/dev/null && have_rg=1
have_ug=0; command -v ugrep >/dev/null && have_ug=1

python3 - "$bin" "$repo" "$rev" "$runs" "$gitdir" "$at" "$work" "$have_cs" "$have_rg" "$have_ug" $commits <<'PY'
import os, statistics, sys, time
bin, repo, rev, runs, gitdir, at, work, have_cs, have_rg, have_ug, *commits = sys.argv[1:]
runs, have_cs, have_rg, have_ug = int(runs), have_cs == "1", have_rg == "1", have_ug == "1"
devnull = os.open(os.devnull, os.O_WRONLY)

def timed(cmd, env=None):
    """Whole-process wall time: posix_spawn to exit, its output read through a pipe and thrown
    away (not /dev/null itself: grep-like tools that see /dev/null stop at the first match)."""
    r, w = os.pipe()
    fa = [(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_DUP2, devnull, 2), (os.POSIX_SPAWN_CLOSE, r)]
    t = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, env or os.environ, file_actions=fa)
    os.close(w)
    while os.read(r, 1 << 16):
        pass
    os.waitpid(pid, 0)
    elapsed = time.perf_counter() - t
    os.close(r)
    return elapsed

def bench(cmds):
    """Median per command over `runs` interleaved rounds (after one warm-up each)."""
    for c, e in cmds: timed(c, e)
    samples = [[] for _ in cmds]
    for _ in range(runs):
        for i, (c, e) in enumerate(cmds):
            samples[i].append(timed(c, e))
    return [statistics.median(s) * 1000 for s in samples]

cs_all = dict(os.environ, CSEARCHINDEX=f"{work}/cs-all")
cs_one = dict(os.environ, CSEARCHINDEX=f"{work}/cs-one")
ms = lambda x: f"{x:7.1f} ms"
load = os.getloadavg()[0]
print(f"machine: {os.cpu_count()} cores, load average {load:.1f}; {runs} runs each, interleaved, medians")
print(f"spawn floor (/bin/true): {ms(bench([(['true'], None)])[0])}")

peers = ["git grep"] + (["codesearch"] if have_cs else []) + (["ripgrep"] if have_rg else []) \
    + (["ugrep"] if have_ug else [])

def row(label, term, every_rev):
    """archeo, then each peer, interleaved; prints ms and peer/archeo ratios."""
    a = [bin, "search", term] + (["--repo", repo] if every_rev else ["--at", f"{repo}@{rev}"])
    tree = f"{work}/all" if every_rev else f"{work}/one"
    cmds = [(a, None),
            (["git", "--git-dir", gitdir, "grep", "-n", "-i", "-I", "-e", term]
             + (commits if every_rev else [at]), None)]
    if have_cs:
        cmds.append((["csearch", "-i", "-n", term], cs_all if every_rev else cs_one))
    if have_rg:
        cmds.append((["rg", "-n", "-i", "--no-ignore", "--hidden", "-e", term, tree], None))
    if have_ug:
        cmds.append((["ugrep", "-r", "-n", "-i", "-I", "-e", term, tree], None))
    r = bench(cmds)
    cells = "   ".join(f"{p} {ms(v)} ({v/r[0]:.1f}x)" for p, v in zip(peers, r[1:]))
    print(f"{label:38} archeo {ms(r[0])}   {cells}")
    return r

n = len(commits)
row(f"openat2, every {repo} revision ({n})", "openat2", True)
row(f"no hits, every {repo} revision ({n})", "zzqxnohitsxyz", True)
row(f"no hits, {repo}@{rev}", "zzqxnohitsxyz", False)
terms = ["openat2", "RESOLVE_NO_XDEV", "procfs", "sysctl", "WriteSysctls", "errUnsafeProcfs",
         "OpenHow", "seccomp", "mount", "cgroup", "Statfs", "PROC_SUPER_MAGIC", "O_PATH",
         "securejoin", "Errorf", "pidfd", "rootfs", "overlay", "capabilities", "unix"]
per = [row(f"  {t} @{rev}", t, False) for t in terms]
cols = list(zip(*per))
def summary(i, name):
    v = cols[i]
    return f"{name} p50 {statistics.median(v):.1f} ms, max {max(v):.1f} ms"
print(f"20 terms at {repo}@{rev}: "
      + "; ".join(summary(i, name) for i, name in enumerate(["archeo"] + peers)))
PY
