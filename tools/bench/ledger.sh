#!/usr/bin/env bash
# Measures counted plays per second through the ledger: group commit (many plays per
# transaction) against the baseline of one transaction per play, both with
# synchronous=FULL, alternating runs on fresh database files, and reports medians, p99
# latency from call to durable result, and the ratio group/single. Not a test: it states
# what it measured. Group commit runs once more with SQLite's own checkpoints on the
# writer (--sqlite-checkpoints) in place of the ledger's background checkpointer, and once
# more with random play ids (--random-play-ids) in place of time-ordered ones as the server
# makes play sessions: the case where plays are charged in no relation to their ids' order.
# A last row takes each play through a play session as the server does (--sessions: the
# session opened, its first audio marked, the play charged, the session marked counted),
# which is the durable work of one counted play in the server, HTTP aside.
# A row divides every play's artist part by a four-party split sheet (--split-parties 4:
# the artist part's transfer gets four legs, one per party), compared with the group row of the
# same runs (target: at least 0.8x its plays/s, p99 under 20 ms).
# One more group row runs on a file in tmpfs (/dev/shm), where a sync costs next to
# nothing: not durable, so never a result, but the ceiling of this design on this machine,
# what group commit would reach if the disk's syncs were free. Its ratio is to the same
# disk baseline as the other rows; every row also gets its ratio to this ceiling (medians),
# and the group row's ratio is also given round by round (group run / ceiling run of the
# same round).
# Group commit syncs the log off the writer (the writer goes on with the next batch while
# the last one syncs; callers are told once it is synced). One more group row syncs inside
# each commit as before (--sync-in-commit), for comparison in the same run.
#
#   tools/bench/ledger.sh [RUNS]                     (default 5)
#   tools/bench/ledger.sh --database postgres [RUNS] (PostgreSQL, see ledger-postgres.sh)
#
# Environment: SCRATCH (build folder, default .build), PLAYS_GROUP (100000),
# PLAYS_SINGLE (10000), PLAYS_SESSIONS (30000), LISTENERS (1000), CONCURRENCY (128),
# CEILING_DIR (/dev/shm; empty to skip the tmpfs row), CHECKPOINT_PAGES (new log pages that
# wake a checkpoint off the writer; the ledger's default if unset).
set -euo pipefail
cd "$(dirname "$0")/../.."
# The PostgreSQL rows (beside pgbench and the SQLite group row): tools/bench/ledger-postgres.sh.
if [[ "${1:-}" == "--database" ]]; then
  [[ "${2:-}" == "postgres" ]] || { echo "ledger.sh: --database takes 'postgres' (SQLite is the default)" >&2; exit 2; }
  shift 2
  exec tools/bench/ledger-postgres.sh "$@"
fi
runs=${1:-5}
scratch=${SCRATCH:-.build}
plays_group=${PLAYS_GROUP:-100000}
plays_single=${PLAYS_SINGLE:-10000}
plays_sessions=${PLAYS_SESSIONS:-30000}
listeners=${LISTENERS:-1000}
concurrency=${CONCURRENCY:-128}
work=tools/bench/work
mkdir -p "$work"
ceiling_dir=${CEILING_DIR-/dev/shm}
if [[ -n "$ceiling_dir" && ! ( -d "$ceiling_dir" && -w "$ceiling_dir" ) ]]; then
  echo "# $ceiling_dir is not a writable folder: no tmpfs row" >&2
  ceiling_dir=
fi

echo "# building release" >&2
swift build -c release --scratch-path "$scratch" --product tutti >&2
tutti=$(swift build -c release --scratch-path "$scratch" --show-bin-path)/tutti

# run NAME MODE PLAYS CONCURRENCY [FLAG...]: one run on a fresh file (in $DB_DIR if set,
# else $work); appends its JSON line to $work/NAME.json
run() {
  local name=$1 mode=$2 plays=$3 callers=$4 db=${DB_DIR:-$work}/tutti-ledger-bench.sqlite
  shift 4
  rm -f "$db" "$db-wal" "$db-shm"
  "$tutti" ledger bench --database "$db" --plays "$plays" --listeners "$listeners" --mode "$mode" \
    --concurrency "$callers" ${CHECKPOINT_PAGES:+--checkpoint-pages "$CHECKPOINT_PAGES"} "$@" >> "$work/$name.json"
  rm -f "$db" "$db-wal" "$db-shm"
}
field() { grep -o "\"$1\":[0-9.]*" | cut -d: -f2; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

rm -f "$work"/*.json
for ((i = 0; i < runs; i++)); do
  run single single "$plays_single" "$concurrency"
  run group group "$plays_group" "$concurrency"
  run group32 group "$plays_group" 32
  run groupinsync group "$plays_group" "$concurrency" --sync-in-commit
  run groupsqlite group "$plays_group" "$concurrency" --sqlite-checkpoints
  run grouprandom group "$plays_group" "$concurrency" --random-play-ids
  run groupsessions group "$plays_sessions" "$concurrency" --sessions
  run groupsplit4 group "$plays_group" "$concurrency" --split-parties 4
  if [[ -n "$ceiling_dir" ]]; then DB_DIR=$ceiling_dir run groupceiling group "$plays_group" "$concurrency"; fi
done
# One more group run, verified afterwards (not part of the medians).
db=$work/ledger-bench.sqlite
rm -f "$db" "$db-wal" "$db-shm"
verified=$("$tutti" ledger bench --database "$db" --plays "$plays_group" --listeners "$listeners" --mode group \
  --concurrency "$concurrency" --verify | grep -o '"verified":[a-z]*' | cut -d: -f2)

# What one synchronous 4 KiB write costs on this file system: the floor of a commit.
start_ns=$(date +%s%N)
dd if=/dev/zero of="$work/dsync.tmp" bs=4k count=2000 oflag=dsync 2>/dev/null
dsync_us=$(( ($(date +%s%N) - start_ns) / 2000 / 1000 ))
rm -f "$work/dsync.tmp"

base=$(field playsPerSecond < "$work/single.json" | median)
sample=$(head -1 "$work/group.json")
echo "# ledger benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, SQLite $(echo "$sample" | grep -o '"sqliteVersion":"[^"]*"' | cut -d'"' -f4)"
printf '\n%s runs each, alternating; fresh database per run; %s listeners; writer pragmas: %s\n\n' "$runs" "$listeners" \
  "$(echo "$sample" | grep -o '"pragmas":{[^}]*}' | sed 's/"pragmas"://')"
ceiling=
if [[ -n "$ceiling_dir" ]]; then ceiling=$(field playsPerSecond < "$work/groupceiling.json" | median); fi
printf '| mode | callers | plays per run | plays/s (median) | p50 ms (median) | p99 ms (median) | plays per commit (median) | ratio to single | ratio to ceiling (tmpfs) |\n|---|---|---|---|---|---|---|---|---|\n'
row() {
  local name=$1 text=$2 callers=$3 plays=$4 pps
  pps=$(field playsPerSecond < "$work/$name.json" | median)
  printf '| %s | %s | %s | %.0f | %.1f | %.1f | %.1f | %.1f× | %s |\n' "$text" "$callers" "$plays" "$pps" \
    "$(field p50 < "$work/$name.json" | median)" "$(field p99 < "$work/$name.json" | median)" \
    "$(field playsPerCommit < "$work/$name.json" | median)" "$(echo "$pps $base" | awk '{print $1/$2}')" \
    "$(if [[ -n "$ceiling" ]]; then echo "$pps $ceiling" | awk '{printf "%.2f×", $1/$2}'; else echo -; fi)"
}
row single "single (one transaction per play)" "$concurrency" "$plays_single"
row group "group commit" "$concurrency" "$plays_group"
row group32 "group commit" 32 "$plays_group"
row groupinsync "group commit, log synced inside each commit (before: the writer waits for the disk)" "$concurrency" "$plays_group"
row groupsqlite "group commit, SQLite's checkpoints on the writer" "$concurrency" "$plays_group"
row grouprandom "group commit, random play ids" "$concurrency" "$plays_group"
row groupsessions "group commit, each play through a play session (as the server)" "$concurrency" "$plays_sessions"
row groupsplit4 "group commit, a four-party split sheet dividing every play" "$concurrency" "$plays_group"
if [[ -n "$ceiling_dir" ]]; then
  row groupceiling "group commit on tmpfs ($ceiling_dir): syncs free, not durable; the ceiling, not a result" "$concurrency" "$plays_group"
fi
ckpt() { grep -o "\"$1\":[0-9]*" "$work/group.json" | cut -d: -f2 | median; }
if [[ -n "$ceiling" ]]; then
  printf '\ngroup commit at %s callers against the ceiling, round by round (group run / tmpfs run of the same round): %s\n' "$concurrency" \
    "$(paste -d' ' <(field playsPerSecond < "$work/group.json") <(field playsPerSecond < "$work/groupceiling.json") |
       awk '{printf "%s%.0f / %.0f = %.2f×", (NR > 1 ? ", " : ""), $1, $2, $1 / $2}')"
fi
printf 'log syncs off the writer per group run (medians): %s syncs for %s commits\n' \
  "$(grep -o '"logSyncs":{[^}]*}' "$work/group.json" | grep -o '"syncs":[0-9]*' | cut -d: -f2 | median)" \
  "$(grep -o '"logSyncs":{[^}]*}' "$work/group.json" | grep -o '"commits":[0-9]*' | cut -d: -f2 | median)"

printf 'log checkpoints per group run at %s callers (medians): %s in the background, %s by the writer, log restarted %s times, largest log %s pages (%s MiB); largest log of any group run: %s pages\n' \
  "$concurrency" "$(ckpt background)" "$(ckpt writer)" "$(ckpt logRestarts)" "$(ckpt largestLog)" \
  "$(ckpt largestLog | awk '{printf "%.1f", ($1 * 4120 + 32) / 1048576}')" \
  "$(cat "$work"/group*.json | grep -o '"largestLog":[0-9]*' | cut -d: -f2 | sort -n | tail -1)"
bytes() { grep -o '"bytesWrittenPerPlay":[0-9.]*' "$work/$1.json" | cut -d: -f2 | median | awk '{printf "%.0f", $1}'; }
printf 'storage bytes written per play (write_bytes of the process while charging, medians): group %s, log synced in each commit %s, single %s, tmpfs %s\n' \
  "$(bytes group)" "$(bytes groupinsync)" "$(bytes single)" "$(if [[ -n "$ceiling" ]]; then bytes groupceiling; else echo -; fi)"
printf 'four-party split sheet on every play against the single-party group row, round by round (same runs): %s; median p99 %s ms (target: at least 0.8x, p99 under 20 ms)\n' \
  "$(paste -d' ' <(field playsPerSecond < "$work/groupsplit4.json") <(field playsPerSecond < "$work/group.json") |
     awk '{printf "%s%.0f / %.0f = %.2f×", (NR > 1 ? ", " : ""), $1, $2, $1 / $2}')" \
  "$(field p99 < "$work/groupsplit4.json" | median)"
printf 'extra group run with --verify afterwards: verified=%s\n' "$verified"
printf 'one synchronous 4 KiB write (dd oflag=dsync) on this file system: %s µs\n' "$dsync_us"
