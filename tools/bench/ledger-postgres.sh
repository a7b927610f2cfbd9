#!/usr/bin/env bash
# Counted plays per second through the ledger on PostgreSQL (PostgresLedgerStore, group
# commit), beside pgbench's simple write transaction (builtin simple-update) on the same
# server and the SQLite group row, in the same run, rounds alternating. Not a test: it states
# what it measured. Durability is never lowered: synchronous_commit=on, fsync=on, and a play
# is reported once its group commit is durable.
#
#   tools/bench/ledger-postgres.sh [RUNS]       (default 3; also: tools/bench/ledger.sh --database postgres)
#
# Environment: SCRATCH (build folder, default .build), PLAYS (100000), LISTENERS (1000),
# CONCURRENCY (128), PGBENCH_CLIENTS (16), PGBENCH_SECONDS (20).
# The server runs in tools/bench/work/postgres (initdb'd afresh each run, as the postgres
# user when run as root) on a Unix socket only, and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
scratch=${SCRATCH:-.build}
plays=${PLAYS:-100000}
listeners=${LISTENERS:-1000}
concurrency=${CONCURRENCY:-128}
pgbench_clients=${PGBENCH_CLIENTS:-16}
pgbench_seconds=${PGBENCH_SECONDS:-20}
work=$PWD/tools/bench/work
pg=$work/postgres
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
mkdir -p "$work"

echo "# building release" >&2
swift build -c release --scratch-path "$scratch" --product tutti >&2
tutti=$(swift build -c release --scratch-path "$scratch" --show-bin-path)/tutti

as_pg=()
if [[ $(id -u) -eq 0 ]]; then as_pg=(setpriv --reuid=postgres --regid=postgres --clear-groups --); fi
stop() { [[ -f "$pg/data/postmaster.pid" ]] && "${as_pg[@]}" "$bin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null || true; }
stop
rm -rf "$pg"
mkdir -p "$pg/run"
if [[ ${#as_pg[@]} -gt 0 ]]; then chown -R postgres:postgres "$pg"; fi
"${as_pg[@]}" "$bin/initdb" -D "$pg/data" -U tutti --auth=trust --encoding=UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$pg/data" -l "$pg/postgres.log" -w -o \
  "-k $pg/run -c listen_addresses= -c synchronous_commit=on -c fsync=on -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
trap stop EXIT
psql=(psql -X -q -A -t -h "$pg/run" -U tutti)

"${psql[@]}" -d postgres -c "CREATE DATABASE pgbench" >/dev/null
pgbench -i -q -s 10 -h "$pg/run" -U tutti pgbench >/dev/null 2>&1

rm -f "$work"/pg-tutti.json "$work"/pg-sqlite.json "$work"/pg-pgbench.txt
for round in $(seq 1 "$runs"); do
  echo "# round $round/$runs" >&2
  db=plays_$round
  "${psql[@]}" -d postgres -c "CREATE DATABASE $db" >/dev/null
  "$tutti" ledger bench --database "postgres://tutti@/$db?host=$pg/run" --plays "$plays" --listeners "$listeners" \
    --mode group --concurrency "$concurrency" --verify >> "$work/pg-tutti.json"
  rm -f "$work"/pg-sqlite.sqlite*
  "$tutti" ledger bench --database "$work/pg-sqlite.sqlite" --plays "$plays" --listeners "$listeners" \
    --mode group --concurrency "$concurrency" >> "$work/pg-sqlite.json"
  rm -f "$work"/pgbench_log.*
  (cd "$work" && pgbench -b simple-update -c "$pgbench_clients" -j 2 -T "$pgbench_seconds" -M prepared -n -l \
    -h "$pg/run" -U tutti pgbench 2>/dev/null) > "$work/pgbench-round.txt"
  tps=$(grep -o 'tps = [0-9.]*' "$work/pgbench-round.txt" | head -1 | awk '{print $3}')
  # Per-transaction log: client, transaction, latency in microseconds, ...
  p99=$(cat "$work"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; printf "%.3f", a[i]/1000}')
  echo "$tps $p99" >> "$work/pg-pgbench.txt"
done

python3 - "$work" "$runs" "$pgbench_clients" <<'EOF'
import json, statistics, sys
work, runs, clients = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tutti = [json.loads(l) for l in open(f"{work}/pg-tutti.json")]
sqlite = [json.loads(l) for l in open(f"{work}/pg-sqlite.json")]
pgbench = [tuple(map(float, l.split())) for l in open(f"{work}/pg-pgbench.txt")]
med = statistics.median
def rounds(values, fmt="{:.0f}"):
    return " / ".join(fmt.format(v) for v in values)
t_rate = [r["playsPerSecond"] for r in tutti]
t_p99 = [r["commitLatencyMs"]["p99"] for r in tutti]
s_rate = [r["playsPerSecond"] for r in sqlite]
s_p99 = [r["commitLatencyMs"]["p99"] for r in sqlite]
settings = ", ".join("%s=%s" % (k, v) for k, v in sorted(tutti[0]["settings"].items()))
print("| row | plays or transactions/s (rounds) | median | p99 ms (median) | per commit |")
print("|---|---|---|---|---|")
print("| Tutti on PostgreSQL %s, group commit (%s) | %s | %.0f | %.1f | %.0f plays |" % (
    tutti[0]["serverVersion"], settings, rounds(t_rate), med(t_rate), med(t_p99), med(r["playsPerCommit"] for r in tutti)))
print("| Tutti on SQLite, group commit (same machine, same run) | %s | %.0f | %.1f | %.0f plays |" % (
    rounds(s_rate), med(s_rate), med(s_p99), med(r["playsPerCommit"] for r in sqlite)))
print("| pgbench simple-update, %s clients, prepared | %s | %.0f | %.1f | 1 transaction |" % (
    clients, rounds(t for t, _ in pgbench), med(t for t, _ in pgbench), med(p for _, p in pgbench)))
ratios = [r / t for r, (t, _) in zip(t_rate, pgbench)]
print()
print("Tutti's durable counted plays/s on PostgreSQL / pgbench's transactions/s, round by round: " + rounds(ratios, "{:.2f}x"))
print("Tutti on PostgreSQL / Tutti on SQLite, round by round: " + rounds([a / b for a, b in zip(t_rate, s_rate)], "{:.2f}x"))
print("verified: %s; charged every play: %s" % (all(r.get("verified") for r in tutti), all(r["charged"] == r["plays"] for r in tutti)))
met = med(t_rate) >= 10000 and med(t_p99) < 50
print("target (issue 20): at least 10,000 plays/s, p99 under 50 ms: " + ("met" if met else "not met"))
EOF
