#!/usr/bin/env bash
# `make run`: starts `tutti serve` on the embedded default (SQLite + local files in DATA)
# with the demo catalog from media/demo. The demo accounts and their passwords are printed
# at start-up. Ctrl-C stops it gracefully.
set -euo pipefail
tutti=$1
data=$2
host=${HOST:-127.0.0.1}
port=${PORT:-8080}
echo "Starting Tutti on http://$host:$port (data in $data/; Ctrl-C stops it)"
echo "Try: curl http://$host:$port/api/v1/tracks"
exec "$tutti" serve --data "$data" --host "$host" --port "$port" --demo media/demo
