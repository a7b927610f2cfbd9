#!/usr/bin/env bash
# The contract check: the OpenAPI document (GET /api/v1/openapi.json) is the contract, and
# schemathesis checks that a live Tutti answers what it says, signed in as an admin, an
# artist and a listener in turn. Any failure fails the script (exit 1).
#
#   tools/contract-check.sh [path/to/tutti]     (default: the debug build's)
#
# It starts `tutti serve --demo media/demo` on a free loopback port with a data folder of
# its own, waits until the demo catalog is transcoded and published, runs schemathesis
# (pinned below, installed into .build/contract-venv on first use) once per role (listener,
# artist, admin), and stops
# the server. Reports (JUnit) and the server's log are kept in .build/contract/.
#
# What is checked and how it is kept from flaking (tools/contract/schemathesis.toml):
# - every check (`--checks all`), every phase: coverage (boundary and invalid values of
#   every parameter and member, undeclared methods, missing headers), fuzzing
#   (Hypothesis-generated requests, positive and negative), stateful (sequences that follow
#   the document's links: list -> item -> play session, proposal -> vote, ...);
# - reproducible: Hypothesis derandomized (schemathesis's deterministic mode: the same
#   inputs every run, so no seed is needed), no example database, one worker (the requests
#   reach the server in the same order every run);
# - bounded: CONTRACT_EXAMPLES (default 30) generated cases per operation in the fuzzing
#   phase and 8 steps per stateful scenario; the coverage phase is exhaustive by design;
# - order-proof: whatever earlier requests changed (a track unpublished, a member
#   suspended, a booking made, a token revoked), each answer is one the document
#   declares, so the run does not depend on what ran before it. A revoked token is
#   replaced by logging in again (the server allows CONTRACT_LOGIN_ATTEMPTS failed log-ins,
#   since the fuzzer's wrong passwords would otherwise lock the address out).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
examples=${CONTRACT_EXAMPLES:-30}
tutti=${1:-$(swift build --show-bin-path)/tutti}
out=.build/contract
venv=.build/contract-venv

[[ -x "$tutti" ]] || { echo "contract-check: no tutti executable at $tutti (swift build first)" >&2; exit 1; }

# Schemathesis, pinned, in a virtual environment of its own.
if [[ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != *"$SCHEMATHESIS_VERSION"* ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
log="$out/server.log"
server=""
cleanup() {
  if [[ -n "$server" ]] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server"
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A webhook secret, so the webhook checks signatures as in service (unconfigured, it answers
# 503, which PaymentWebhookTests covers).
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/webhook-secret"
# Made here, not by the background job's redirection, which may come after the first read.
: > "$log"
"$tutti" serve --data "$work/data" --host 127.0.0.1 --port 0 --demo media/demo --jobs 1 --log-level info \
  --login-attempts "${CONTRACT_LOGIN_ATTEMPTS:-100000}" --payment-webhook-secret-file "$work/webhook-secret" >"$log" 2>&1 &
server=$!

# Wait (generously: the machine may be busy) for the port and the demo catalog.
deadline=$((SECONDS + ${CONTRACT_START_TIMEOUT:-300}))
port=""
until [[ -n "$port" ]] && grep -q "demo catalog ready" "$log"; do
  kill -0 "$server" 2>/dev/null || { echo "contract-check: the server exited; its log:" >&2; cat "$log" >&2; exit 1; }
  if ((SECONDS > deadline)); then
    echo "contract-check: no 'demo catalog ready' within ${CONTRACT_START_TIMEOUT:-300} s (port: ${port:-none}); the log:" >&2
    cat "$log" >&2
    exit 1
  fi
  [[ -n "$port" ]] || port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
  sleep 0.5
done
base="http://127.0.0.1:$port"
echo "contract-check: Tutti on $base, schemathesis $SCHEMATHESIS_VERSION, $examples examples per operation"

# Something for the governance routes to find: an open proposal by ada (a member: her demo
# tracks are published), closing in two days. Generated closing times almost never fall in
# the allowed window (they are refused with 409), so without it every proposal route would
# only ever answer 404.
token=$(curl -sf "$base/api/v1/sessions" -H 'Content-Type: application/json' \
  -d '{"username":"ada","password":"demo-ada-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
closes=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
curl -sf "$base/api/v1/governance/proposals" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"title\":\"Contract check\",\"rationale\":\"Seeded by tools/contract-check.sh\",\"closesAt\":\"$closes\",\"changes\":{\"basePrice\":3000}}" \
  >/dev/null || { echo "contract-check: could not open the seed proposal" >&2; exit 1; }

# The listener first and the admin last: each role runs on the richest state the ones before
# it leave (an artist may delete her tracks, an admin any track and suspend members).
failed=0
passed=0
for role in lena:demo-lena-password ada:demo-ada-password admin:demo-admin-password; do
  user=${role%%:*}
  started=$SECONDS
  echo "contract-check: as $user"
  if ! TUTTI_CONTRACT_USER=$user TUTTI_CONTRACT_PASSWORD=${role#*:} \
      "$venv/bin/schemathesis" --config-file tools/contract/schemathesis.toml run "$base/api/v1/openapi.json" \
      --checks all --max-examples "$examples" --workers 1 --request-timeout 60 \
      --suppress-health-check too_slow --no-color \
      --report junit --report-junit-path "$out/$user.xml" >"$out/$user.txt" 2>&1; then
    failed=$((failed + 1))
    cat "$out/$user.txt"
    echo "contract-check: FAILED as $user ($((SECONDS - started)) s); report in $out/$user.txt"
  else
    passed=$((passed + 1))
    sed -n '/SUMMARY/,$p' "$out/$user.txt"
    echo "contract-check: passed as $user ($((SECONDS - started)) s)"
  fi
done
# One line per run, in the form CI reads: roles whose schemathesis run had no failure.
echo "contract-check: $SECONDS s in all"
echo "contract: $passed passed, $failed failed"
((failed == 0))
