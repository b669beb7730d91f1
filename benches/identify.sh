#!/usr/bin/env bash
# identify with function-table matching: a Go binary against every indexed revision of its
# repository (issue 26's goal: a ~9 MB Go binary under 1 s on 2 cores). Reads the binary and
# its function table, builds the per-revision declarations of the package directories it names,
# scores every revision. Prints the median wall time of ROUNDS runs, the user+sys CPU time of
# the last, the number of revisions and functions compared, and the load average.
# Usage: benches/identify.sh ARCHEO INDEX_DIR BINARY [ROUNDS]   (run from the project's
# directory, or set ARCHEO_MANIFEST; the cache is not read unless a commit must be placed)
set -euo pipefail
bin=${1:?archeo binary}
index=${2:?index directory}
artifact=${3:?a Go binary or package}
rounds=${4:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" --index-dir "$index" identify "$artifact" --format json > "$tmp/out.json" || true
python3 - "$tmp/out.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    ft = r.get("function_table")
    if not ft or not ft["modules"]:
        print(f"{r['path']}: no function table matched"); continue
    m = ft["modules"][0]
    b = m["ranking"][0]
    print(f"{r['path']}: {ft['functions']} functions in the table; {m['module']}: "
          f"{b['functions']} compared, best {m['repo']}@{b['rev']} {b['exact']}/{b['functions']}; "
          f"{len(ft['modules'])} modules")
PY
times=()
for _ in $(seq "$rounds"); do
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$tmp/cpu" "$bin" --index-dir "$index" identify "$artifact" > /dev/null || true
  end=$(date +%s.%N)
  times+=("$(echo "$end - $start" | bc)")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
read -r user sys < "$tmp/cpu"
printf 'identify: median %.3f s of %d runs (last: %s s user, %s s sys); %s cores; load average %s\n' \
  "$median" "$rounds" "$user" "$sys" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
