#!/usr/bin/env bash
# Synthesises the demo catalog's tracks with sox: short plucked-string pieces over a drone,
# with a little reverb, longer than the 45 s preview, as small Ogg Vorbis files (what a
# musician might upload). Output: media/demo/*.ogg
set -euo pipefail
out=${1:-media/demo}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# piece NAME TITLE ARTIST BEAT_SECONDS DRONE_HZ NOTES...
piece() {
  local name=$1 title=$2 artist=$3 beat=$4 drone=$5
  shift 5
  local chain=()
  for note in "$@"; do
    chain+=(synth "$beat" pluck "$note" fade 0 "$beat" 0.05 :)
  done
  unset 'chain[${#chain[@]}-1]'
  sox -D -V1 -r 44100 -b 16 -c 1 -n "$work/melody.wav" "${chain[@]}"
  local length
  length=$(soxi -D "$work/melody.wav")
  sox -D -V1 -r 44100 -b 16 -c 2 -n "$work/drone.wav" synth "$length" sine "$drone" sine "$(echo "$drone * 1.5" | bc -l)" remix 1,2 vol 0.08 fade 2 "$length" 2
  sox -D -V1 -m -v 0.8 "$work/melody.wav" "$work/drone.wav" -c 2 "$work/mix.wav" reverb 40 50 80 gain -n -3
  ffmpeg -nostdin -v error -y -i "$work/mix.wav" -metadata TITLE="$title" -metadata ARTIST="$artist" -metadata ALBUM="Tutti Demo" \
    -c:a libvorbis -q:a 0 "$out/$name.ogg"
}

tune=(C4 E4 G4 C5 B4 G4 E4 D4 C4 E4 G4 A4 G4 E4 D4 C4)
piece morning-light "Morning Light" "Ada Demo" 0.4 130.81 "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}"
tune=(A3 C4 E4 A4 G4 E4 C4 D4 E4 G4 E4 D4 C4 B3 A3 E3)
piece river-song "River Song" "Ada Demo" 0.35 110 "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}"
tune=(D4 F4 A4 D5 C5 A4 F4 G4 A4 F4 D4 E4 F4 E4 D4 A3)
piece night-walk "Night Walk" "Béla Demo" 0.45 146.83 "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}" "${tune[@]}"
ls -l "$out"
