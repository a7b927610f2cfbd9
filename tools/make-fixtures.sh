#!/usr/bin/env bash
# Generates the small audio fixtures the tests read, with sox and ffmpeg (third-party
# encoders, so Tutti's decoder is tested on files it did not write). Deterministic: no
# dither (-D), no noise. Output: the folder given (default media/fixtures).
set -euo pipefail
out=${1:-media/fixtures}
mkdir -p "$out"
cd "$out"
sox() { command sox -D -V1 "$@"; }
ff() { ffmpeg -nostdin -v error -y -bitexact "$@"; }

# 44.1 kHz stereo WAV, 1 s: 440 Hz on the left, 1000 Hz on the right, -20 dBFS each;
# tagged with title, artist and album in a LIST INFO chunk.
sox -r 44100 -b 16 -c 1 -n l.wav synth 1 sine 440 gain -20
sox -r 44100 -b 16 -c 1 -n r.wav synth 1 sine 1000 gain -20
sox -M l.wav r.wav plain.wav
ff -i plain.wav -metadata title="Left and Right" -metadata artist="Tutti Fixtures" -metadata album="Test Tones" -c:a pcm_s16le sine-440l-1000r-44100-stereo.wav
rm -f l.wav r.wav plain.wav

# 48 kHz mono WAV, 1 s, 1 kHz at -20 dBFS: passes through without resampling.
sox -r 48000 -b 16 -c 1 -n sine-1000-48000-mono.wav synth 1 sine 1000 gain -20

# 96 kHz stereo 24-bit WAV, 0.5 s: a logarithmic chirp 100 Hz to 20 kHz at -6 dBFS.
sox -r 96000 -b 24 -c 2 -n chirp-96000-stereo.wav synth 0.5 sine 100:20000 gain -6

# 44.1 kHz mono AIFF, 1 s: a linear chirp 200 Hz to 8 kHz at -6 dBFS.
sox -r 44100 -b 16 -c 1 -n chirp-44100-mono.aiff synth 1 sine 200+8000 gain -6

# 48 kHz 5.1 WAV (WAVE_FORMAT_EXTENSIBLE, mask L R C LFE Ls Rs), 0.5 s: a different tone
# per channel (L 300, R 500, C 700, LFE 60, Ls 900, Rs 1100 Hz) at -20 dBFS.
inputs=()
for f in 300 500 700 60 900 1100; do
  sox -r 48000 -b 16 -c 1 -n "channel-$f.wav" synth 0.5 sine $f gain -20
  inputs+=("channel-$f.wav")
done
sox -M "${inputs[@]}" surround-51-48000.wav
rm -f channel-*.wav

# 44.1 kHz stereo WAV of 500 samples (11.3 ms): shorter than one 20 ms Opus frame.
sox -r 44100 -b 16 -c 2 -n short-500-samples-44100.wav synth 500s sine 1000 gain -10

# 48 kHz stereo WAV, 0.5 s of digital silence.
sox -r 48000 -b 16 -c 2 -n silence-48000-stereo.wav trim 0 0.5

# 44.1 kHz stereo FLAC, 2 s, 440 Hz at -12 dBFS, with Vorbis comments.
sox -r 44100 -b 16 -c 2 -n tone.wav synth 2 sine 440 gain -12
ff -i tone.wav -metadata TITLE="Flac Tone" -metadata ARTIST="Tutti Fixtures" -metadata ALBUM="Test Tones" -c:a flac sine-440-44100-stereo.flac
# the same as MP3 (LAME, 128 kb/s, ID3v2 tags) and Ogg Vorbis (quality 4).
ff -i tone.wav -metadata title="Mp3 Tone" -metadata artist="Tutti Fixtures" -metadata album="Test Tones" -c:a libmp3lame -b:a 128k sine-440-44100-stereo.mp3
ff -i tone.wav -metadata title="Vorbis Tone" -metadata artist="Tutti Fixtures" -metadata album="Test Tones" -c:a libvorbis -q:a 4 sine-440-44100-stereo.ogg
rm -f tone.wav
ls -l
