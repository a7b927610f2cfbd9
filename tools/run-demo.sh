#!/usr/bin/env bash
# `make run` for now: shows what the tutti command does and transcodes a demo track.
# (The service issue replaces this with `tutti serve` on a demo catalog.)
set -euo pipefail
tutti=$1
data=$2
mkdir -p "$data"
"$tutti" --help
echo
echo "Transcoding a demo track into $data/ ..."
"$tutti" transcode media/fixtures/sine-440-44100-stereo.flac "$data/demo.opus" --also "48:$data/demo-low.opus" --manifest "$data/demo.json"
"$tutti" probe "$data/demo.opus"
