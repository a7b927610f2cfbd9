#!/usr/bin/env bash
# `make test-under-load`: the whole suite RUNS times in a row (default 3) while
# `stress-ng --cpu N` (default 2) keeps the cores busy beside it, as on a busy CI machine.
# Prints each run's duration and result; the logs go to LOGS (default .build/test-under-load).
# Holds the suite lock (/tmp/tutti-suite.lock) so that no other whole suite runs meanwhile.
# Exits non-zero if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
cpus=${STRESS_CPUS:-2}
swift=${SWIFT:-swift}
logs=${LOGS:-.build/test-under-load}
read -r -a flags <<< "${SWIFT_FLAGS:-}"

tools/install-deps.sh
# Built first, so that the runs time the tests only.
"$swift" build --build-tests "${flags[@]}"
mkdir -p "$logs"

exec 9> /tmp/tutti-suite.lock
flock 9
stress-ng --cpu "$cpus" --quiet &
stress=$!
trap 'kill "$stress" 2> /dev/null || true; wait "$stress" 2> /dev/null || true' EXIT

failed=0
for run in $(seq 1 "$runs"); do
  log="$logs/run-$run.log"
  start=$(date +%s)
  if "$swift" test "${flags[@]}" > "$log" 2>&1; then result=passed; else result=FAILED; failed=1; fi
  seconds=$(( $(date +%s) - start ))
  summary=$(grep -a "Test run with" "$log" | tail -1 || true)
  echo "run $run of $runs: $result in ${seconds} s beside stress-ng --cpu $cpus; ${summary:-no summary, see $log}"
  if [[ $result == FAILED ]]; then
    grep -a -E "✘|recorded an issue|error:" "$log" | head -20 || true
  fi
done
exit "$failed"
