#!/usr/bin/env bash
# explain's cost against the size of the message: a real error chain repeated to 7.8 KB, 78 KB
# and ~1 MB (wrapped layers, the worst shape), and one ~1 MB layer. Prints seconds and exit code;
# explain must stay linear (issue 19 measured 0.45 s, 119 s and > 300 s before it was).
# Usage: benches/explain.sh ARCHEO INDEX_DIR
set -euo pipefail
bin=${1:?archeo binary}
index=${2:?index directory}
msg='open sysctl net.ipv4.ip_unprivileged_port_start file: unsafe procfs detected: openat2 fsmount:fscontext:proc/sys/net/ipv4/ip_unprivileged_port_start: invalid cross-device link'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
repeat() { # SIZE FILE: the message repeated (joined by ": ") to SIZE bytes
  python3 -c "import sys; m=sys.argv[1]; n=int(sys.argv[2]); s=m
while len(s) < n: s += ': ' + m
sys.stdout.write(s)" "$msg" "$1" > "$2"
}
repeat 7800 "$tmp/7k"
repeat 78000 "$tmp/78k"
repeat 1000000 "$tmp/1m"
python3 -c "import sys; sys.stdout.write('open sysctl ' + 'x' * 1000000 + ' file: unsafe procfs detected')" > "$tmp/1m-one"
for f in 7k 78k 1m 1m-one; do
  start=$(date +%s.%N)
  code=0
  "$bin" --index-dir "$index" explain - < "$tmp/$f" > /dev/null 2> "$tmp/err" || code=$?
  end=$(date +%s.%N)
  printf '%-7s %8d bytes  %6.2f s  exit %d  %s\n' "$f" "$(wc -c < "$tmp/$f")" \
    "$(echo "$end - $start" | bc)" "$code" "$(head -c 100 "$tmp/err")"
done
