#!/usr/bin/env bash
# Serves the same 3-minute 128 kb/s Ogg Opus rendition with nginx (sendfile) and with
# `tutti serve`, and drives both with wrk in the same run, alternating: random 64 KiB Range
# requests at 64 and at 1000 connections, and whole-file GETs. Reports requests/s, MB/s
# and p99 latency for both and the ratio Tutti/nginx (medians over ROUNDS rounds).
#
#   tools/bench/stream.sh [ROUNDS] [SECONDS]        (defaults: 3 rounds of 10 s each)
#   STREAM_PATH=... overrides the Tutti URL path (the metered benchmark uses it).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
seconds=${2:-10}
work=$PWD/tools/bench/work
mkdir -p "$work"
source tools/bench/lib.sh
tools/install-deps.sh nginx-light wrk >/dev/null
ulimit -n "$(ulimit -Hn)"

echo "# building release" >&2
swift build -c release --product tutti >&2
tutti=$(swift build -c release --show-bin-path)/tutti

make_music_wav "$work/music-3min.wav" 180
tutti_port=18080
nginx_port=18081
data=$work/stream-data
rm -rf "$data" "$data.log"
start_tutti "$tutti" "$data" "$tutti_port"
trap 'kill $TUTTI_PID 2>/dev/null; [[ -f $work/nginx/nginx.pid ]] && kill $(cat $work/nginx/nginx.pid) 2>/dev/null; true' EXIT
id=$(publish_track "$tutti_port" "$work/music-3min.wav" Bench)
path=${STREAM_PATH:-/api/v1/tracks/$id/audio/standard}
file=$(ls "$data"/media/"$id"/standard-*.opus)
size=$(stat -c %s "$file")

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

cat > "$work/ranges.lua" <<LUA
math.randomseed(42)
request = function()
  local first = math.random(0, $size - 65536)
  return wrk.format("GET", "$path", { ["Range"] = "bytes=" .. first .. "-" .. (first + 65535) })
end
LUA

# sanity: both answer the same bytes
cmp <(curl -sf "http://127.0.0.1:$tutti_port$path") <(curl -sf "http://127.0.0.1:$nginx_port$path")

# measure NAME PORT CONNECTIONS SCRIPT: one wrk run; appends "req/s MB/s p99_ms" to $work/NAME.wrk
measure() {
  local name=$1 port=$2 connections=$3 script=$4 out
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency ${script:+-s "$script"} "http://127.0.0.1:$port$path")
  awk -v name="$name" '
    /Requests\/sec/ { rps = $2 }
    /Transfer\/sec/ { v = $2; if (v ~ /GB/) mb = v * 1024; else if (v ~ /MB/) mb = v + 0; else if (v ~ /KB/) mb = v / 1024; else mb = v / 1048576 }
    /^ +99%/ { p = $2; if (p ~ /us/) ms = p / 1000; else if (p ~ /ms/) ms = p + 0; else if (p ~ /s/) ms = p * 1000; else ms = p }
    /Non-2xx/ { errors = $NF }
    END { print rps, mb, ms, errors + 0 }' <<<"$out" >> "$work/$name.wrk"
}

rm -f "$work"/*.wrk
scenarios=("ranges64 64 $work/ranges.lua" "ranges1000 1000 $work/ranges.lua" "whole64 64 ")
for ((round = 0; round < rounds; round++)); do
  for scenario in "${scenarios[@]}"; do
    read -r label connections script <<<"$scenario"
    measure "nginx-$label" "$nginx_port" "$connections" "$script"
    measure "tutti-$label" "$tutti_port" "$connections" "$script"
  done
done

echo "# stream benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, file $size bytes, $rounds rounds of ${seconds}s, wrk -t2 on the same machine"
echo
echo "| scenario | server | requests/s | MB/s | p99 ms | non-2xx | Tutti/nginx req/s | Tutti p99 / nginx p99 |"
echo "|---|---|---|---|---|---|---|---|"
for scenario in "${scenarios[@]}"; do
  read -r label connections _ <<<"$scenario"
  for server in nginx tutti; do
    f="$work/$server-$label.wrk"
    rps=$(cut -d' ' -f1 "$f" | median); mb=$(cut -d' ' -f2 "$f" | median); p99=$(cut -d' ' -f3 "$f" | median); errors=$(cut -d' ' -f4 "$f" | median)
    eval "${server}_rps=$rps; ${server}_p99=$p99"
    if [[ $server == nginx ]]; then
      printf '| %s (%s conn) | nginx | %.0f | %.1f | %.2f | %s | | |\n' "$label" "$connections" "$rps" "$mb" "$p99" "$errors"
    else
      printf '| %s (%s conn) | tutti | %.0f | %.1f | %.2f | %s | %.2f | %.2f |\n' "$label" "$connections" "$rps" "$mb" "$p99" "$errors" \
        "$(echo "$tutti_rps $nginx_rps" | awk '{print $1/$2}')" "$(echo "$tutti_p99 $nginx_p99" | awk '{print $1/$2}')"
    fi
  done
done
