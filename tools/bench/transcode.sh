#!/usr/bin/env bash
# Times `tutti transcode` against opusenc (libopus at complexity 10, the codec floor) on the
# same music-like 44.1 kHz stereo WAV, alternating runs, and reports median wall time, the
# ratio Tutti/opusenc and peak RSS. Not a test: it states what it measured.
#
#   tools/bench/transcode.sh [RUNS_SHORT] [RUNS_LONG]      (defaults: 7 and 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs_short=${1:-7}
runs_long=${2:-3}
work=tools/bench/work
mkdir -p "$work"
source tools/bench/lib.sh
tools/install-deps.sh time hyperfine >/dev/null

echo "# building release" >&2
swift build -c release --product tutti >&2
tutti=$(swift build -c release --show-bin-path)/tutti

short=$work/music-3min.wav
long=$work/music-30min.wav
make_music_wav "$short" 180
[[ -f $long ]] || sox -D "$short" "$long" repeat 9

# run NAME COMMAND...: one timed run; appends "wall_s max_rss_kib user_s sys_s" to $work/NAME.times
run() {
  local name=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/$name.last" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; exit 1; }
  cat "$work/$name.last" >> "$work/$name.times"
}
max() { sort -n | tail -1; }

report() {
  local label=$1 input=$2 runs=$3
  rm -f "$work"/*.times
  for ((i = 0; i < runs; i++)); do
    run opusenc opusenc --quiet --bitrate 128 "$input" "$work/ref.opus"
    run tutti1 "$tutti" transcode "$input" "$work/one.opus" --bitrate 128
    run tutti2 "$tutti" transcode "$input" "$work/high.opus" --bitrate 128 --also "48:$work/low.opus" --manifest "$work/manifest.json"
    run tutti1core taskset -c 0 "$tutti" transcode "$input" "$work/one.opus" --bitrate 128
  done
  local ref
  ref=$(cut -d' ' -f1 "$work/opusenc.times" | median)
  printf '\n## %s (%s runs each, alternating)\n\n' "$label" "$runs"
  printf '| command | median wall s | ratio to opusenc | median CPU s (user+sys) | peak RSS MiB |\n|---|---|---|---|---|\n'
  row() {
    local name=$1 text=$2 wall
    wall=$(cut -d' ' -f1 "$work/$name.times" | median)
    printf '| %s | %s | %.3f | %s | %.1f |\n' "$text" "$wall" "$(echo "$wall $ref" | awk '{print $1/$2}')" \
      "$(awk '{print $3+$4}' "$work/$name.times" | median)" "$(cut -d' ' -f2 "$work/$name.times" | max | awk '{print $1/1024}')"
  }
  row opusenc "opusenc --bitrate 128"
  row tutti1 "tutti transcode --bitrate 128"
  row tutti2 "tutti transcode 128 + 48 kb/s + loudness + peaks"
  row tutti1core "tutti transcode --bitrate 128, one core (taskset -c 0)"
  printf '\nsizes: opusenc %s B, tutti %s B (128 kb/s), %s B (48 kb/s)\n' \
    "$(stat -c %s "$work/ref.opus")" "$(stat -c %s "$work/one.opus")" "$(stat -c %s "$work/low.opus")"
}

echo "# transcode benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(opusenc --version 2>&1 | head -1)"
report "3-minute 44.1 kHz stereo WAV" "$short" "$runs_short"
report "30-minute 44.1 kHz stereo WAV" "$long" "$runs_long"
