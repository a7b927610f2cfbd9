#!/usr/bin/env bash
# Uploads a 1 GiB WAV to `tutti serve`, as a raw body and as a multipart form, ROUNDS times
# each, and reports throughput (curl's size_upload / time_total), the HTTP status and the
# server's resident memory: before the upload, at its peak during it (VmRSS polled every
# 50 ms, and VmHWM, the kernel's high-water mark), and the growth (target: under 64 MiB).
#
# Every upload gets a fresh server on a scratch data folder (--jobs 1), warmed up by one small
# upload transcoded to the end, and stopped as soon as the big upload is answered: the
# transcode an upload queues never overlaps the next upload, and the figures are the server
# process's alone (transcodes run in child processes). The server writes the body to disk,
# fsyncs it and SHA-256-hashes it; the script checks the stored size and hash. For reference,
# the same run times `dd ... conv=fsync` writing the same file to the same disk and
# `openssl dgst -sha256` hashing it (OpenSSL and the server's BoringSSL both use the CPU's
# SHA instructions where it has them; coreutils' sha256sum does not).
#
#   tools/bench/upload.sh [ROUNDS]        (default: 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
work=$PWD/tools/bench/work
mkdir -p "$work"
source tools/bench/lib.sh
tools/install-deps.sh >/dev/null

echo "# building release" >&2
swift build -c release --product tutti >&2
tutti=$(swift build -c release --show-bin-path)/tutti

# 1 GiB less 2 bytes: an 80-byte WAVE_FORMAT_EXTENSIBLE header and 178,956,957 frames of
# 96 kHz 24-bit stereo white noise (31 min); made once, reused by later runs.
wav=$work/upload-1gib.wav
if [[ ! -f $wav ]]; then
  echo "# making $wav" >&2
  sox -R -D -r 96000 -b 24 -c 2 -n -t wav "$wav.partial" synth 178956957s whitenoise vol 0.5
  mv "$wav.partial" "$wav"
fi
size=$(stat -c %s "$wav")
[[ -f $wav.sha256 && $wav.sha256 -nt $wav ]] || sha256sum "$wav" | cut -d' ' -f1 > "$wav.sha256"
sha=$(cat "$wav.sha256")
small=$work/music-10s.wav
make_music_wav "$small" 10

port=18090
base=http://127.0.0.1:$port
data=$work/upload-data
ticks=$(getconf CLK_TCK)
cleanup() { stop_tutti; rm -rf "$data" "$work/dd-scratch"; }
trap cleanup EXIT

# fresh_server: a new server on an empty data folder with an artist account (sets TOKEN),
# after one small upload transcoded to the end.
fresh_server() {
  local id status
  stop_tutti
  rm -rf "$data"
  start_tutti "$tutti" "$data" "$port" --jobs 1 --upload-limit-mib 1100
  curl -sf -X POST "$base/api/v1/users" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password","role":"artist"}' >/dev/null
  TOKEN=$(curl -sf -X POST "$base/api/v1/sessions" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password"}' | json_field token)
  id=$(curl -sf -X POST "$base/api/v1/tracks?title=Warmup" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: audio/wav' --data-binary "@$small" | json_field id)
  for _ in $(seq 300); do
    status=$(curl -sf "$base/api/v1/tracks/$id" -H "Authorization: Bearer $TOKEN" | json_field status)
    [[ $status != processing ]] && break
    sleep 0.1
  done
  [[ $status == ready ]] || { echo "warm-up transcode ended $status" >&2; return 1; }
  sleep 1
}

# poll_rss PID: prints "time VmRSS_KiB" every 50 ms until the process is gone or killed.
poll_rss() {
  local kib
  while kib=$(proc_kib "$1" VmRSS); do echo "$EPOCHREALTIME $kib"; sleep 0.05; done
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# upload MODE ROUND: one upload of $wav (MODE raw or multipart) on a fresh server; appends
# "status MB/s seconds cpu_s base_kib peak_kib growth_kib hwm_kib after_kib stored" to
# $work/upload-MODE.rows and keeps the RSS samples and smaps_rollup snapshots in $work.
upload() {
  local mode=$1 round=$2 pid base_kib hwm0 cpu0 poller out code sent seconds peak hwm1 after cpu1 stored
  fresh_server
  pid=$TUTTI_PID
  cat "/proc/$pid/smaps_rollup" > "$work/upload-$mode-$round.smaps-before"
  base_kib=$(proc_kib "$pid" VmRSS)
  hwm0=$(proc_kib "$pid" VmHWM)
  cpu0=$(cpu_ticks "$pid")
  poll_rss "$pid" > "$work/upload-$mode-$round.rss" &
  poller=$!
  # -H 'Expect:': curl otherwise asks for "100 Continue" before a body over 1 MiB, which the
  # server does not send, and waits a second before sending the body anyway. curl reads a
  # --data-binary file into memory before it connects; time_total starts after that.
  if [[ $mode == raw ]]; then
    out=$(curl -s -o "$work/upload-$mode.response" -w '%{http_code} %{size_upload} %{time_total}' \
      -X POST "$base/api/v1/tracks?title=Bench" -H "Authorization: Bearer $TOKEN" \
      -H 'Content-Type: audio/wav' -H 'Expect:' --data-binary "@$wav")
  else
    out=$(curl -s -o "$work/upload-$mode.response" -w '%{http_code} %{size_upload} %{time_total}' \
      -X POST "$base/api/v1/tracks" -H "Authorization: Bearer $TOKEN" \
      -H 'Expect:' -F title=Bench -F "file=@$wav;type=audio/wav")
  fi
  kill "$poller"; wait "$poller" 2>/dev/null || true
  echo "$EPOCHREALTIME $(proc_kib "$pid" VmRSS)" >> "$work/upload-$mode-$round.rss"
  cpu1=$(cpu_ticks "$pid")
  hwm1=$(proc_kib "$pid" VmHWM)
  after=$(proc_kib "$pid" VmRSS)
  cat "/proc/$pid/smaps_rollup" > "$work/upload-$mode-$round.smaps-after"
  read -r code sent seconds <<<"$out"
  peak=$(awk '$2 > m {m = $2} END {print m}' "$work/upload-$mode-$round.rss")
  # VmHWM only rises: if it rose during the upload, the true peak is at least that.
  ((hwm1 > hwm0 && hwm1 > peak)) && peak=$hwm1
  stop_tutti
  # What the server stored for the upload: size and SHA-256 of the original.
  stored=$(python3 -c "
import sqlite3, sys
row = sqlite3.connect('file:$data/tutti.sqlite?mode=ro', uri=True).execute(
    \"select originalBytes, originalSHA256 from tracks where title = 'Bench'\").fetchone()
print('ok' if row == ($size, '$sha') else 'MISMATCH' if row else 'none')")
  echo "$code $(awk -v b="$sent" -v s="$seconds" 'BEGIN {printf "%.1f %.2f", b / s / 1e6, s}')" \
    "$(awk -v a="$cpu0" -v b="$cpu1" -v t="$ticks" 'BEGIN {printf "%.2f", (b - a) / t}')" \
    "$base_kib $peak $((peak - base_kib)) $hwm1 $after $stored" >> "$work/upload-$mode.rows"
  echo "# round $round $mode: $code, $seconds s, growth $(mib $((peak - base_kib))) MiB, stored $stored" >&2
}

# reference NAME COMMAND...: times COMMAND over the file; appends MB/s to $work/upload-NAME.rows
reference() {
  local name=$1 start end
  shift
  start=$EPOCHREALTIME
  "$@" >/dev/null
  end=$EPOCHREALTIME
  awk -v b="$size" -v s="$start" -v e="$end" 'BEGIN {printf "%.1f %.2f\n", b / (e - s) / 1e6, e - s}' >> "$work/upload-$name.rows"
}

rm -f "$work"/upload-*.rows "$work"/upload-*.rss "$work"/upload-*.smaps-*
for ((round = 1; round <= rounds; round++)); do
  reference dd dd if="$wav" of="$work/dd-scratch" bs=1M conv=fsync status=none
  rm -f "$work/dd-scratch"
  reference sha256 openssl dgst -sha256 "$wav"
  upload raw "$round"
  upload multipart "$round"
done

echo "# upload benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory, $(uname -r), $(curl --version | head -1 | cut -d' ' -f1-2)"
echo "# file: $size bytes (WAV, 96 kHz 24-bit stereo), $rounds rounds; client and server on the same machine; the file is in the page cache"
echo
echo "| round | upload | HTTP | MB/s | seconds | server CPU s | RSS before MiB | RSS peak MiB | growth MiB | VmHWM MiB | RSS after MiB | stored size + SHA-256 |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for ((round = 1; round <= rounds; round++)); do
  for mode in raw multipart; do
    read -r code mbs seconds cpu base_kib peak growth hwm after stored < <(sed -n "${round}p" "$work/upload-$mode.rows")
    echo "| $round | $mode | $code | $mbs | $seconds | $cpu | $(mib "$base_kib") | $(mib "$peak") | $(mib "$growth") | $(mib "$hwm") | $(mib "$after") | $stored |"
  done
done
echo
echo "| medians over $rounds rounds | MB/s | seconds | server CPU s | growth MiB (max) | growth < 64 MiB |"
echo "|---|---|---|---|---|---|"
for mode in raw multipart; do
  f=$work/upload-$mode.rows
  growth=$(cut -d' ' -f7 "$f" | median)
  worst=$(cut -d' ' -f7 "$f" | sort -n | tail -1)
  echo "| upload, $mode body | $(cut -d' ' -f2 "$f" | median) | $(cut -d' ' -f3 "$f" | median) | $(cut -d' ' -f4 "$f" | median) | $(mib "$growth") ($(mib "$worst")) | $( ((worst < 65536)) && echo yes || echo NO) |"
done
echo "| reference: dd bs=1M conv=fsync to the same disk | $(cut -d' ' -f1 "$work/upload-dd.rows" | median) | $(cut -d' ' -f2 "$work/upload-dd.rows" | median) | | | |"
echo "| reference: openssl dgst -sha256 (hashing alone) | $(cut -d' ' -f1 "$work/upload-sha256.rows" | median) | $(cut -d' ' -f2 "$work/upload-sha256.rows" | median) | | | |"
echo
echo "raw:       curl -X POST '$base/api/v1/tracks?title=Bench' -H 'Authorization: Bearer ...' -H 'Content-Type: audio/wav' -H 'Expect:' --data-binary @upload-1gib.wav"
echo "multipart: curl -X POST '$base/api/v1/tracks' -H 'Authorization: Bearer ...' -H 'Expect:' -F title=Bench -F 'file=@upload-1gib.wav;type=audio/wav'"
echo "server:    tutti serve --data <scratch> --port $port --jobs 1 --upload-limit-mib 1100 --log-level warning"
echo "command:   tools/bench/upload.sh $rounds"
