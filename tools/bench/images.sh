#!/usr/bin/env bash
# Times `tutti image cover` (one process: header checks, one decode, 1200/600/300/96 squares,
# each as JPEG and WebP, SHA-256 names, manifest) against vipsthumbnail making the same eight
# files (one vipsthumbnail run per size and format, as it makes one size per run), on the same
# 12-megapixel JPEG, alternating runs. Reports median wall time, the ratio to vipsthumbnail,
# CPU time and peak RSS (/usr/bin/time). Not a test: it states what it measured.
#
#   tools/bench/images.sh [RUNS]      (default: 9)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-9}
work=tools/bench/work/images
mkdir -p "$work"
source tools/bench/lib.sh
tools/install-deps.sh time >/dev/null

echo "# building release" >&2
swift build -c release --product tutti >&2
tutti=$(swift build -c release --show-bin-path)/tutti

# A 12-megapixel photo-like JPEG (4000 x 3000): ffmpeg's test pattern with film-grain noise,
# so it encodes like a photograph rather than flat colour.
photo=$work/photo-12mp.jpg
[[ -f $photo ]] || ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=4000x3000:rate=1" \
  -vf "noise=alls=25:allf=u" -frames:v 1 -q:v 2 -y "$photo"

# The reference: vipsthumbnail makes one size in one format per run, so eight runs. Same
# settings as Tutti: centre crop, an embedded ICC profile converted to sRGB, JPEG Q82 with
# optimised Huffman tables, WebP Q80, both stripped of metadata.
reference=$work/vipsthumbnail-8.sh
cat > "$reference" <<SCRIPT
for size in 1200 600 300 96; do
  vipsthumbnail "$photo" --size "\${size}x\${size}" --smartcrop centre --export-profile srgb -o "$PWD/$work/ref-\$size.jpg[Q=82,strip,optimize_coding]"
  vipsthumbnail "$photo" --size "\${size}x\${size}" --smartcrop centre --export-profile srgb -o "$PWD/$work/ref-\$size.webp[Q=80,strip]"
done
SCRIPT

# run NAME COMMAND...: one timed run; appends "wall_s max_rss_kib user_s sys_s" to $work/NAME.times
run() {
  local name=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/$name.last" "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; exit 1; }
  cat "$work/$name.last" >> "$work/$name.times"
}
max() { sort -n | tail -1; }

# A floor, not the target's reference: the least any pipeline must do, one decode of the
# photo (shrink-on-load) and one 1200 x 1200 JPEG.
floor=(vipsthumbnail "$photo" --size 1200x1200 --smartcrop centre --export-profile srgb -o "$PWD/$work/floor.jpg[Q=82,strip,optimize_coding]")

rm -f "$work"/*.times
for ((i = 0; i < runs; i++)); do
  run vips bash "$reference"
  rm -rf "$work/out"
  run tutti "$tutti" image cover "$photo" "$work/out" --manifest "$work/manifest.json"
  run floor "${floor[@]}"
done
# Peak RSS of one vipsthumbnail process (the script's own bash is not the reference).
/usr/bin/time -f "%M" -o "$work/vips-rss" vipsthumbnail "$photo" --size 1200x1200 --smartcrop centre \
  --export-profile srgb -o "$PWD/$work/rss.jpg[Q=82,strip,optimize_coding]"

ref=$(cut -d' ' -f1 "$work/vips.times" | median)
echo "# images benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(vips --version)"
printf '\n12-megapixel JPEG (%s B) to 1200/600/300/96 squares as JPEG and WebP, %s runs each, alternating\n\n' "$(stat -c %s "$photo")" "$runs"
printf '| command | median wall s | ratio to vipsthumbnail | median CPU s (user+sys) | peak RSS MiB |\n|---|---|---|---|---|\n'
printf '| vipsthumbnail x 8 (4 sizes x 2 formats) | %s | 1.000 | %s | %.1f (largest single run) |\n' "$ref" \
  "$(awk '{print $3+$4}' "$work/vips.times" | median)" "$(awk '{print $1/1024}' "$work/vips-rss")"
wall=$(cut -d' ' -f1 "$work/tutti.times" | median)
printf '| tutti image cover | %s | %.3f | %s | %.1f |\n' "$wall" "$(echo "$wall $ref" | awk '{print $1/$2}')" \
  "$(awk '{print $3+$4}' "$work/tutti.times" | median)" "$(cut -d' ' -f2 "$work/tutti.times" | max | awk '{print $1/1024}')"
wall=$(cut -d' ' -f1 "$work/floor.times" | median)
printf '| (floor) vipsthumbnail, the 1200 JPEG alone | %s | %.3f | %s | %.1f |\n' "$wall" "$(echo "$wall $ref" | awk '{print $1/$2}')" \
  "$(awk '{print $3+$4}' "$work/floor.times" | median)" "$(cut -d' ' -f2 "$work/floor.times" | max | awk '{print $1/1024}')"
printf '\noutput bytes: tutti %s (8 files), vipsthumbnail %s (8 files)\n' \
  "$(cat "$work"/out/*.jpg "$work"/out/*.webp | wc -c)" "$(cat "$work"/ref-*.jpg "$work"/ref-*.webp | wc -c)"
