#!/usr/bin/env bash
# Quick A/B of the split row alone: group commit with the default sheet against a four-party
# sheet on every play, alternating, ROUNDS rounds, on a fresh file in DIR each run (a tmpfs
# folder such as /dev/shm shows the writer's CPU alone; a disk folder the durable figure).
# Prints both rows' plays/s, the ratio round by round, its median and the split row's median
# p99. The full comparison with the other rows is tools/bench/ledger.sh.
#
#   tools/bench/ledger-split-ab.sh [DIR] [ROUNDS]        (defaults: tools/bench/work, 5)
#
# Environment: TUTTI_BINARY (default: a release build of this checkout), PARTIES (4), PLAYS
# (100000). TUTTI_BINARIES="A B ..." compares builds instead: each round runs every build's
# pair in turn (so drifts of a noisy machine reach them alike) and a line per build is printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-tools/bench/work}
rounds=${2:-5}
parties=${PARTIES:-4}
mkdir -p "$dir"
if [[ -z "${TUTTI_BINARY:-}" && -z "${TUTTI_BINARIES:-}" ]]; then
  echo "# building release" >&2
  swift build -c release --product tutti >&2
  TUTTI_BINARY=$(swift build -c release --show-bin-path)/tutti
fi
db=$dir/tutti-split-ab.sqlite
plays=${PLAYS:-100000}
read -r -a binaries <<< "${TUTTI_BINARIES:-$TUTTI_BINARY}"
for ((i = 0; i < rounds; i++)); do
  for binary in "${binaries[@]}"; do
    for p in 1 "$parties"; do
      rm -f "$db" "$db-wal" "$db-shm"
      echo "$binary $("$binary" ledger bench --database "$db" --plays "$plays" --listeners 1000 --mode group --concurrency 128 --split-parties "$p")"
    done
  done
done | python3 -c '
import json, statistics, sys
runs = {}
for line in sys.stdin:
    binary, _, rest = line.partition(" ")
    if rest.startswith("{"):
        runs.setdefault(binary, []).append(json.loads(rest))
for binary, rows in runs.items():
    one = [r["playsPerSecond"] for r in rows if r["splitParties"] == 1]
    split = [r for r in rows if r["splitParties"] != 1]
    ratios = [s["playsPerSecond"] / o for o, s in zip(one, split)]
    if len(runs) > 1: print("#", binary)
    print("default sheet plays/s:", [round(x) for x in one])
    print("split sheet plays/s:  ", [round(s["playsPerSecond"]) for s in split])
    print("ratio round by round: ", [round(x, 2) for x in ratios], "median", round(statistics.median(ratios), 3))
    print("split p99 ms (median):", round(statistics.median(s["commitLatencyMs"]["p99"] for s in split), 1))
'
rm -f "$db" "$db-wal" "$db-shm"
