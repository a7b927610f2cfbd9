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
}
CONF
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

rm -f "$work"/*.wrk
scenarios=("ranges64 64 $work/ranges.lua" "ranges1000 1000 $work/ranges.lua" "whole64 64 ")
for ((round = 0; round < rounds; round++)); do
  for scenario in "${scenarios[@]}"; do
    read -r label connections script <<<"$scenario"
    measure "nginx-$label" "$nginx_port" "$path" "$connections" "$script"
    measure "tutti-$label" "$tutti_port" "$path" "$connections" "$script"
    measure "metered-$label" "$tutti_port" "$metered_path" "$connections" "$script"
  done
done

placement="wrk -t2 and the servers sharing the machine's cores"
[[ ${PIN:-0} == 1 ]] && placement="wrk -t2 on CPU 0, the servers on CPU 1"
echo "# stream benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, file $size bytes, $rounds rounds of ${seconds}s, $placement"
echo
echo "| scenario | server | requests/s | MB/s | p99 ms | non-2xx | socket errors | req/s ÷ nginx | p99 ÷ nginx |"
echo "|---|---|---|---|---|---|---|---|---|"
for scenario in "${scenarios[@]}"; do
  read -r label connections _ <<<"$scenario"
  for server in nginx tutti metered; do
    f="$work/$server-$label.wrk"
    rps=$(cut -d' ' -f1 "$f" | median); mb=$(cut -d' ' -f2 "$f" | median); p99=$(cut -d' ' -f3 "$f" | median); errors=$(cut -d' ' -f4 "$f" | median); socket=$(cut -d' ' -f5 "$f" | median)
    if [[ $server == nginx ]]; then
      nginx_rps=$rps; nginx_p99=$p99
      printf '| %s (%s conn) | nginx | %.0f | %.1f | %.2f | %s | %s | | |\n' "$label" "$connections" "$rps" "$mb" "$p99" "$errors" "$socket"
    else
      printf '| %s (%s conn) | %s | %.0f | %.1f | %.2f | %s | %s | %.2f | %.2f |\n' "$label" "$connections" "$server" "$rps" "$mb" "$p99" "$errors" "$socket" \
        "$(echo "$rps $nginx_rps" | awk '{print $1/$2}')" "$(echo "$p99 $nginx_p99" | awk '{print $1/$2}')"
    fi
  done
done
