#!/usr/bin/env bash
# Counted plays over HTTP, end to end: the whole server path of a play (play session, the
# metering decision, the charge in the ledger, the audio), where tools/bench/ledger.sh
# measures the ledger alone. Not a test: it states what it measured. It also samples the
# size of the database's write-ahead log every 20 ms while the server runs and reports the
# largest size seen (the log's bound: see WALCheckpointer).
#
# Each round registers LISTENERS funded listeners. Every listener opens PLAYS play sessions
# (POST /api/v1/tracks/{id}/plays) on each of TRACKS paid tracks, which is one durable write
# per session, and then seeks past the preview in each (a 1,000-byte Range GET of the signed
# URL at 60% of a 2-minute track: past the preview, and clear of the tail that players probe
# for the duration), which counts the play and charges it before the bytes go out.
# PLAYS is at most 9, so every play is charged (the 10th would be free).
#
# Side by side in the same round, the reference: the same Range GETs, as many, on a free
# track's plain URL (no session, no metering, no write): serving alone. Order within a round:
# reference, counting, reference again (its two timings' mean is the round's reference).
# curl drives all of it (--parallel, PARALLEL transfers at once) on the same 2 cores as the
# server, so the figures are the server's and curl's together; the ratio is what metering
# and charging cost against serving the same bytes.
#
#   tools/bench/plays.sh [ROUNDS]                     (default 3)
#
# Environment: LISTENERS (100), TRACKS (10), PLAYS (9), PARALLEL (64),
# TUTTI_BINARY (a build of tutti to run instead of building this checkout).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
listeners=${LISTENERS:-100}
tracks=${TRACKS:-10}
plays=${PLAYS:-9}
parallel=${PARALLEL:-64}
(( plays >= 1 && plays <= 9 )) || { echo "PLAYS must be 1 to 9 (the 10th play of a track is free)" >&2; exit 2; }
# The server lets one listener open 120 play sessions a minute.
(( tracks * plays <= 120 )) || { echo "TRACKS x PLAYS must be at most 120 (sessions a listener may open a minute)" >&2; exit 2; }
work=$PWD/tools/bench/work/plays
rm -rf "$work"
mkdir -p "$work"
source tools/bench/lib.sh
tools/install-deps.sh python3 >/dev/null
ulimit -n "$(ulimit -Hn)"

if [[ -n "${TUTTI_BINARY:-}" ]]; then
  tutti=$TUTTI_BINARY
else
  echo "# building release" >&2
  swift build -c release --product tutti >&2
  tutti=$(swift build -c release --show-bin-path)/tutti
fi

port=18082
base=http://127.0.0.1:$port
data=$work/data
make_music_wav "$PWD/tools/bench/work/music-2min.wav" 120
start_tutti "$tutti" "$data" "$port"
# The log's size, sampled every 20 ms for as long as the server runs; the largest is reported.
( largest=0
  while sleep 0.02; do
    size=$(stat -c %s "$data/tutti.sqlite-wal" 2>/dev/null || echo 0)
    if (( size > largest )); then largest=$size; echo "$largest" > "$work/wal-peak"; fi
  done ) &
wal_sampler=$!
trap 'kill "$wal_sampler" 2>/dev/null; stop_tutti' EXIT

echo "# publishing $tracks paid tracks and a free one" >&2
paid=()
for ((t = 0; t < tracks; t++)); do paid+=("$(publish_track "$port" "$PWD/tools/bench/work/music-2min.wav" "Paid$t")"); done
free_id=$(publish_track "$port" "$PWD/tools/bench/work/music-2min.wav" Free)
artist=$(curl -sf -X POST "$base/api/v1/sessions" -H 'Content-Type: application/json' \
  -d '{"username":"bench","password":"bench-password"}' | json_field token)
curl -sf -X PATCH "$base/api/v1/tracks/$free_id" -H "Authorization: Bearer $artist" -H 'Content-Type: application/json' \
  -d '{"free":true}' >/dev/null
echo "treasurer-password" | "$tutti" user add treasurer --data "$data" --role admin >/dev/null
size=$(stat -c %s "$(ls "$data"/media/"$free_id"/standard-*.opus)")
range="bytes=$((size * 6 / 10))-$((size * 6 / 10 + 999))"

counted_total() { curl -sf "$base/metrics" | awk '$1 == "tutti_plays_counted_total" {print $2}'; }
# checkpoints BY: the log checkpoints run so far by the writer or in the background.
checkpoints() { curl -sf "$base/metrics" | awk -v key="tutti_wal_checkpoints_total{by=\"$1\"}" '$1 == key {print $2}'; }

# timed NAME CONFIG EXPECTED_STATUS: runs a curl config of transfers in parallel; appends
# "requests/s p50_ms p99_ms" to $work/NAME.rows and fails unless every answer has the status.
timed() {
  local name=$1 config=$2 expected=$3 start end out=$work/$1.out
  start=$(date +%s%N)
  curl --parallel --parallel-immediate --parallel-max "$parallel" -s -K "$config" > "$out" 2> "$work/$1.err"
  end=$(date +%s%N)
  local count bad
  count=$(wc -l < "$out")
  bad=$(awk -v s="$expected" '$1 != s' "$out" | wc -l)
  (( bad == 0 )) || { echo "$name: $bad of $count answers were not $expected:" >&2; awk -v s="$expected" '$1 != s' "$out" | sort | uniq -c | head >&2; exit 1; }
  awk '{print $2 * 1000}' "$out" | sort -n | awk -v n="$count" -v ns="$((end - start))" '
    {a[NR] = $1} END {printf "%.0f %.2f %.2f\n", n / (ns / 1e9), a[int((n + 1) / 2)], a[int(n * 0.99 + 0.5)]}' >> "$work/$name.rows"
}

for ((round = 1; round <= rounds; round++)); do
  echo "# round $round: $listeners listeners" >&2
  tokens=()
  for ((l = 0; l < listeners; l++)); do
    user=r${round}l$l
    curl -sf -X POST "$base/api/v1/users" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$user\",\"password\":\"bench-password\"}" >/dev/null
    tokens+=("$(curl -sf -X POST "$base/api/v1/sessions" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$user\",\"password\":\"bench-password\"}" | json_field token)")
    "$tutti" wallet credit "$user" 100 --reason "plays benchmark" --actor treasurer --data "$data" >/dev/null
  done

  # Opening: listeners interleaved, so that one listener's sessions spread over the phase.
  open=$work/open-$round
  mkdir -p "$open"
  : > "$work/open.cfg"
  k=0
  for ((p = 0; p < plays; p++)); do
    for ((t = 0; t < tracks; t++)); do
      for ((l = 0; l < listeners; l++)); do
        printf 'next\nurl = "%s/api/v1/tracks/%s/plays"\nrequest = "POST"\nheader = "Authorization: Bearer %s"\noutput = "%s/%d.json"\nwrite-out = "%%{http_code} %%{time_total}\\n"\n' \
          "$base" "${paid[t]}" "${tokens[l]}" "$open" "$k" >> "$work/open.cfg"
        k=$((k + 1))
      done
    done
  done
  sed -i '1d' "$work/open.cfg"  # no "next" before the first transfer
  n=$k
  timed open "$work/open.cfg" 201

  # The counting GETs (signed URLs need no header) and the reference GETs.
  python3 - "$open" "$n" "$base" "$range" "$work/count.cfg" <<'PY'
import json, sys
folder, n, base, byte_range, config = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
with open(config, "w") as out:
    for k in range(n):
        with open(f"{folder}/{k}.json") as f:
            url = json.load(f)["audio"]["standard"]
        if k: out.write("next\n")
        out.write(f'url = "{base}{url}"\nheader = "Range: {byte_range}"\noutput = "/dev/null"\nwrite-out = "%{{http_code}} %{{time_total}}\\n"\n')
PY
  : > "$work/plain.cfg"
  for ((k = 0; k < n; k++)); do
    ((k)) && echo next >> "$work/plain.cfg"
    printf 'url = "%s/api/v1/tracks/%s/audio/standard"\nheader = "Range: %s"\noutput = "/dev/null"\nwrite-out = "%%{http_code} %%{time_total}\\n"\n' \
      "$base" "$free_id" "$range" >> "$work/plain.cfg"
  done

  before=$(counted_total)
  timed plain "$work/plain.cfg" 206
  writer_before=$(checkpoints writer) background_before=$(checkpoints background)
  timed count "$work/count.cfg" 206
  echo "$(( $(checkpoints writer) - writer_before )) $(( $(checkpoints background) - background_before ))" >> "$work/checkpoints.rows"
  timed plain "$work/plain.cfg" 206
  after=$(counted_total)
  counted=$(awk -v a="$after" -v b="$before" 'BEGIN {print a - b}')
  [[ $counted == "$n" ]] || { echo "round $round: $counted plays counted, expected $n" >&2; exit 1; }
done

verify=$("$tutti" ledger verify --data "$data" 2>&1) || { echo "ledger verify failed: $verify" >&2; exit 1; }
verify=$(tail -1 <<<"$verify")

col() { awk -v c="$2" '{print $c}' "$work/$1.rows" | median; }
# The reference of a round is the mean of its two plain runs (rows 2r-1 and 2r).
plain_rps=$(awk 'NR % 2 {first = $1; next} {print (first + $1) / 2}' "$work/plain.rows" | median)
count_rps=$(col count 1)
echo "# counted plays over HTTP, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, curl $(curl --version | head -1 | cut -d' ' -f2)"
printf '\n%s rounds; per round %s listeners x %s tracks x %s plays = %s sessions and counted plays; %s transfers at once; Range %s of a %s-byte rendition\n\n' \
  "$rounds" "$listeners" "$tracks" "$plays" "$n" "$parallel" "$range" "$size"
printf '| phase | requests/s (median) | p50 ms (median) | p99 ms (median) | ratio to plain GETs |\n|---|---|---|---|---|\n'
printf '| plain Range GETs of a free track (reference; no session, no write) | %s | %s | %s | 1.00× |\n' "$plain_rps" "$(col plain 2)" "$(col plain 3)"
printf '| counting GETs: a seek past the preview counts and charges the play | %s | %s | %s | %s× |\n' "$count_rps" "$(col count 2)" "$(col count 3)" \
  "$(awk -v a="$count_rps" -v b="$plain_rps" 'BEGIN {printf "%.2f", a / b}')"
printf '| opening play sessions (POST, one durable write each) | %s | %s | %s | %s× |\n' "$(col open 1)" "$(col open 2)" "$(col open 3)" \
  "$(awk -v a="$(col open 1)" -v b="$plain_rps" 'BEGIN {printf "%.2f", a / b}')"
printf '\ncounting GETs per round, p99 ms: %s\n' "$(awk '{printf "%s%s", (NR > 1 ? ", " : ""), $3}' "$work/count.rows")"
printf 'log checkpoints during each round'"'"'s counting GETs (writer, background): %s\n' "$(awk '{printf "%s(%s, %s)", (NR > 1 ? ", " : ""), $1, $2}' "$work/checkpoints.rows")"
printf 'largest database log (tutti.sqlite-wal) seen while the server ran, sampled every 20 ms: %s bytes (%.1f MiB)\n' \
  "$(cat "$work/wal-peak" 2>/dev/null || echo 0)" "$(awk '{print $1 / 1048576}' "$work/wal-peak" 2>/dev/null || echo 0)"
printf 'every counting GET counted its play (tutti_plays_counted_total rose by %s per round); tutti ledger verify: %s\n' "$n" "$verify"
