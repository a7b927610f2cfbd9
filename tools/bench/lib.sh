# Shared by the benchmark scripts: sourced, not run.

# make_music_wav PATH SECONDS: a music-like 44.1 kHz stereo WAV (two tones with tremolo,
# pink noise with a faster tremolo, reverb); -R makes sox's noise the same on every run.
make_music_wav() {
  local path=$1 seconds=$2 dir
  [[ -f $path ]] && return 0
  dir=$(dirname "$path")
  sox -R -D -r 44100 -b 16 -c 2 -n "$dir/tones.wav" synth "$seconds" sine 220 sine 330 tremolo 3 70 vol 0.35
  sox -R -D -r 44100 -b 16 -c 2 -n "$dir/noise.wav" synth "$seconds" pinknoise pinknoise tremolo 8 90 vol 0.12
  sox -R -D -m "$dir/tones.wav" "$dir/noise.wav" "$path" reverb 30
  rm -f "$dir/tones.wav" "$dir/noise.wav"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# json_field FIELD: reads a JSON object on stdin and prints one top-level field.
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# start_tutti BINARY DATA PORT [SERVE_OPTIONS...]: starts `tutti serve` in the background, in a
# process group of its own (stop_tutti ends it); sets TUTTI_PID.
start_tutti() {
  setsid "$1" serve --data "$2" --port "$3" --log-level warning "${@:4}" > "$2.log" 2>&1 &
  TUTTI_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$3/health" >/dev/null && return 0; sleep 0.1; done
  echo "tutti serve did not start; see $2.log" >&2
  return 1
}

# publish_track PORT FILE TITLE: registers an artist, uploads FILE, waits until ready,
# publishes it; prints the track id.
publish_track() {
  local base="http://127.0.0.1:$1" token id status
  curl -sf -X POST "$base/api/v1/users" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password","role":"artist"}' >/dev/null || true
  token=$(curl -sf -X POST "$base/api/v1/sessions" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password"}' | json_field token)
  id=$(curl -sf -X POST "$base/api/v1/tracks?title=$3" -H "Authorization: Bearer $token" --data-binary "@$2" | json_field id)
  for _ in $(seq 600); do
    status=$(curl -sf "$base/api/v1/tracks/$id" -H "Authorization: Bearer $token" | json_field status)
    [[ $status != processing ]] && break
    sleep 0.2
  done
  [[ $status == ready ]] || { echo "transcode ended $status" >&2; return 1; }
  curl -sf -X PATCH "$base/api/v1/tracks/$id" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"published":true}' >/dev/null
  echo "$id"
}

# stop_tutti: SIGTERM to the server's process group (a graceful stop also kills running
# transcode children, which have groups of their own), SIGKILL after 10 s.
stop_tutti() {
  [[ -n ${TUTTI_PID:-} ]] || return 0
  kill -TERM -- "-$TUTTI_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$TUTTI_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$TUTTI_PID" 2>/dev/null || true
  wait "$TUTTI_PID" 2>/dev/null || true
  TUTTI_PID=
}

# proc_kib PID FIELD: a field of /proc/PID/status in KiB (VmRSS: resident now, VmHWM: peak).
proc_kib() {
  local key value _
  while read -r key value _; do [[ $key == "$2:" ]] && { echo "$value"; return 0; }; done < "/proc/$1/status"
  return 1
}
