#!/usr/bin/env bash
# Listeners at real pace (issue 21): tools/bench/listeners.py's players against nginx
# (sendfile, the same files, unmetered) and against `tutti serve` (play sessions, metering,
# funded listeners charged through the hold), in the same run, ramping the number of
# concurrent listeners step by step to find where underruns start for each. Then every
# charge is checked against the model of what each listener heard, the wallets against
# their top-ups, and `tutti ledger verify` is run.
#
#   tools/bench/listeners.sh [STEPS] [STEP_SECONDS]     (defaults: 1000,2500,5000,7500,10000 and 60)
#
# Environment: TRACKS (8 paid tracks of 3 minutes, plus one free), USERS (250 funded
# listeners, each listener slot plays as one of them), SEED (21), TUTTI_BINARY (a build of
# tutti to run instead of building this checkout in release mode), ORDER ("nginx tutti"),
# RAMP (20: seconds over which a step's new listeners arrive), SETTLE (15: seconds before a
# step is measured), NICE (e.g. -10: runs the servers and the generator at that priority, all
# alike, so that builds sharing the machine take less of their CPU; root only), CLIENT_RCVBUF
# (bytes: caps each player's socket receive buffer; on loopback the players' receive buffers
# share the kernel's TCP memory, net.ipv4.tcp_mem, with the server's send buffers, and when it
# runs short the kernel drops packets and streams stall: the last column counts it), TCP_MEM
# (e.g. "1500000 2000000 3000000": net.ipv4.tcp_mem for the run, restored after; Debian's
# default on this 24 GiB machine, "287907 383877 575814", enters pressure at 1.5 GiB, which
# 10,000 streams on loopback exceed, for nginx as for Tutti).
#
# Both servers and the generator share the machine's cores. Each side needs one file
# descriptor per listener: the script raises `ulimit -n` to the hard limit and refuses a
# step above what it allows. Loopback connections get ephemeral ports from
# net.ipv4.ip_local_port_range (28,232 by default), with tcp_tw_reuse=2 reusing TIME_WAIT
# ports on loopback.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -n ${NICE:-} ]] && renice -n "$NICE" -p $$ >/dev/null
steps=${1:-1000,2500,5000,7500,10000}
step_seconds=${2:-60}
tracks=${TRACKS:-8}
users=${USERS:-250}
seed=${SEED:-21}
work=$PWD/tools/bench/work/listeners
rm -rf "$work"
mkdir -p "$work"
source tools/bench/lib.sh
tools/install-deps.sh nginx-light python3 sox >/dev/null
# uvloop (PyPI) makes the generator's event loop about twice as fast; it runs without it.
python3 -c 'import uvloop' 2>/dev/null || python3 -m pip install -q uvloop >/dev/null 2>&1 || echo "# uvloop not installed: plain asyncio" >&2
ulimit -n "$(ulimit -Hn)"
largest=$(tr ',' '\n' <<<"$steps" | sort -n | tail -1)
(( largest + 1000 < $(ulimit -n) )) || { echo "ulimit -n is $(ulimit -n): too few file descriptors for $largest listeners" >&2; exit 2; }

if [[ -n "${TUTTI_BINARY:-}" ]]; then
  tutti=$TUTTI_BINARY
else
  echo "# building release" >&2
  swift build -c release --product tutti >&2
  tutti=$(swift build -c release --show-bin-path)/tutti
fi

port=18090
nginx_port=18091
base=http://127.0.0.1:$port
data=$work/data
secret=listeners-bench-webhook-secret-0123456789
printf '%s' "$secret" > "$work/webhook-secret"
make_music_wav "$PWD/tools/bench/work/music-3min.wav" 180
start_tutti "$tutti" "$data" "$port" --payment-webhook-secret-file "$work/webhook-secret"
trap 'stop_tutti; [[ -f $work/nginx/nginx.pid ]] && kill $(cat $work/nginx/nginx.pid) 2>/dev/null; [[ -n ${old_tcp_mem:-} ]] && sysctl -q -w net.ipv4.tcp_mem="$old_tcp_mem"; true' EXIT
# TCP_MEM (pages: "min pressure max") sets net.ipv4.tcp_mem for the run (root only) and puts
# the old value back afterwards.
if [[ -n ${TCP_MEM:-} ]]; then
  old_tcp_mem=$(tr -s '\t' ' ' < /proc/sys/net/ipv4/tcp_mem)
  sysctl -q -w net.ipv4.tcp_mem="$TCP_MEM"
fi
echo "# net.ipv4.tcp_mem: $(tr -s '\t' ' ' < /proc/sys/net/ipv4/tcp_mem) pages" >&2

# The catalogue: TRACKS paid tracks and one free one, the same music (different Ogg serials).
ids=()
for n in $(seq "$tracks"); do ids+=("$(publish_track "$port" "$PWD/tools/bench/work/music-3min.wav" "Listen$n")"); done
free_id=$(publish_track "$port" "$PWD/tools/bench/work/music-3min.wav" Free)
artist=$(curl -sf -X POST "$base/api/v1/sessions" -H 'Content-Type: application/json' -d '{"username":"bench","password":"bench-password"}' | json_field token)
curl -sf -X PATCH "$base/api/v1/tracks/$free_id" -H "Authorization: Bearer $artist" -H 'Content-Type: application/json' -d '{"free":true}' >/dev/null

# nginx: the same files.
mkdir -p "$work/nginx/root/t"
for id in "${ids[@]}" "$free_id"; do cp "$(ls "$data"/media/"$id"/standard-*.opus)" "$work/nginx/root/t/$id.opus"; done
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes auto;
worker_rlimit_nofile $(ulimit -n);
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections $(( $(ulimit -n) - 100 )); }
http {
  access_log off;
  sendfile on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  types { audio/ogg opus; }
  default_type audio/ogg;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$nginx_port backlog=4096; root $work/nginx/root; }
}
CONF
nginx -c "$work/nginx/nginx.conf"
sleep 0.5

# USERS listeners, registered, signed in and topped up through the payment webhook; the plans.
python3 - "$base" "$nginx_port" "$users" "$secret" "$work" "$data" "$free_id" "${ids[@]}" <<'PY'
import concurrent.futures, hashlib, hmac, json, sys, time, urllib.request
base, nginx_port, users, secret, work, data, free_id, *ids = sys.argv[1:]
def call(method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.load(r)
TOP_UP = 1_000_000_000  # 1,000 credits: far more than the run can spend
def listener(n):
    creds = json.dumps({"username": f"listener{n}", "password": "bench-password"}).encode()
    call("POST", "/api/v1/users", creds, {"Content-Type": "application/json"})
    session = call("POST", "/api/v1/sessions", creds, {"Content-Type": "application/json"})
    user = session["user"]["id"]
    body = json.dumps({"id": f"evt_listener_{n}", "type": "payment.succeeded", "data": {"user": user, "amount": TOP_UP, "currency": "credit"}}).encode()
    t = str(int(time.time()))
    mac = hmac.new(secret.encode(), (t + ".").encode() + body, hashlib.sha256).hexdigest()
    call("POST", "/api/v1/payments/webhook", body, {"Tutti-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"})
    return {"token": session["token"], "user": user, "topUp": TOP_UP}
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    listeners = list(pool.map(listener, range(int(users))))
import glob
tracks = [{"id": i, "paid": i != free_id, "file": glob.glob(f"{data}/media/{i}/standard-*.opus")[0], "path": f"/t/{i}.opus"} for i in ids + [free_id]]
common = {"previewSeconds": 45, "basePrice": 2000, "multiplier": 2, "playsToOwn": 9, "tracks": tracks}
json.dump(dict(common, base=base, mode="tutti", listeners=listeners), open(f"{work}/plan-tutti.json", "w"))
json.dump(dict(common, base=f"http://127.0.0.1:{nginx_port}", mode="nginx"), open(f"{work}/plan-nginx.json", "w"))
PY

nginx_master=$(cat "$work/nginx/nginx.pid")
nginx_pids="$nginx_master $(pgrep -P "$nginx_master" | tr '\n' ' ')"

status=0
echo "# listeners benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), nice ${NICE:-0}, event loop $(python3 -c 'import uvloop; print("uvloop")' 2>/dev/null || echo asyncio), steps $steps, ${step_seconds}s each, $tracks paid tracks + 1 free, $users funded listeners, ulimit -n $(ulimit -n)"
for target in ${ORDER:-nginx tutti}; do
  pids=()
  if [[ $target == nginx ]]; then
    for p in $nginx_pids; do pids+=(--pid "$p"); done
    python3 tools/bench/listeners.py "$work/plan-nginx.json" --steps "$steps" --step-seconds "$step_seconds" --seed "$seed" "${pids[@]}" \
      --ramp-seconds "${RAMP:-20}" --settle-seconds "${SETTLE:-15}" --json "$work/nginx.json" ${CLIENT_RCVBUF:+--client-rcvbuf "$CLIENT_RCVBUF"} > "$work/nginx.out" || status=1
  else
    python3 tools/bench/listeners.py "$work/plan-tutti.json" --steps "$steps" --step-seconds "$step_seconds" --seed "$seed" --pid "$TUTTI_PID" \
      --ramp-seconds "${RAMP:-20}" --settle-seconds "${SETTLE:-15}" --db "$data/tutti.sqlite" --json "$work/tutti.json" ${CLIENT_RCVBUF:+--client-rcvbuf "$CLIENT_RCVBUF"} > "$work/tutti.out" || status=1
    echo "tutti peak RSS (VmHWM): $(( $(proc_kib "$TUTTI_PID" VmHWM) / 1024 )) MiB"
  fi
  tail -n +1 "$work/$target.out" | grep -v '^{"listeners"' || true
done
stop_tutti
"$tutti" ledger verify --data "$data" > "$work/verify.out" 2>&1 && echo "tutti ledger verify: clean" || { echo "tutti ledger verify FAILED: $(tail -3 "$work/verify.out")"; status=1; }

python3 - "$work" ${ORDER:-nginx tutti} <<'PY'
import json, sys
work, *targets = sys.argv[1:]
print()
print("| server | listeners | held | underruns | at the hold (of plays through it) | stall s | TTFA p50 ms | TTFA p99 ms | server CPU % | server RSS MiB | MB/s | generator CPU % | loop lag max ms | errors | kernel TCP: pressures / receive drops |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for target in targets:
    report = json.load(open(f"{work}/{target}.json"))
    for s in report["steps"]:
        ms = lambda v: "–" if v is None else f"{v * 1000:.0f}"
        print(f"| {target} | {s['listeners']} | {s['held']} | {s['underruns']} | {s['holdUnderruns']} ({s['holdPassages']}) | {s['stallSeconds'] + s['holdStallSeconds']:.1f} | {ms(s['ttfaP50'])} | {ms(s['ttfaP99'])} | {s['serverCpuPercent']} | {s['serverRssMiB']} | {s['mbPerSecond']} | {s['generatorCpuPercent']} | {s['loopLagMaxMs']} | {s['errors']} | {s.get('kernelTcp', {}).get('memoryPressures', '–')} / {s.get('kernelTcp', {}).get('receiveQueueDrops', '–')} |")
    holds = {f"{s['listeners']}": {k: s.get(k) for k in ("holdReachedP50", "holdReleaseP50", "holdReleaseP99", "holdStallP50", "holdStallP99",
                                                          "holdStallsAfterSeek", "holdStallAfterSeekP50")}
             for s in report["steps"] if s.get("holdReleaseP50") is not None}
    if holds:
        print(f"\nthe hold ({target}), seconds: from the GET, the player at the preview's end (p50) and the rest's first byte (p50, p99); "
              f"each stall there (p50, p99); stalls of players that sought forward inside the preview (count, p50): {json.dumps(holds)}")
    kinds = {f"{s['listeners']}": s.get("underrunKinds") for s in report["steps"] if s.get("underrunKinds")}
    if kinds:
        print(f"\nunderruns outside the hold by where they happened ({target}): {json.dumps(kinds)}")
    if "charges" in report:
        print(f"\ncharges ({target}): {json.dumps(report['charges'])}")
        for p in report.get("chargeProblems", [])[:10]:
            print("  MISMATCH:", p)
    if report.get("errorCount"):
        print(f"errors ({target}): {report['errorCount']}, e.g. {report['errors'][:3]}")
PY
exit $status
