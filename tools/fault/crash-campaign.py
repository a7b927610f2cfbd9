#!/usr/bin/env python3
"""Crash campaign (issue 21): a mixed load against `tutti serve` while the server is
SIGKILLed at random moments and restarted, then checks that no money or work was lost.

Load, from client threads: listeners open play sessions and seek past the preview (each
seek answered 206 is a play the server charged), the payment provider tops wallets up
through the signed webhook, an artist uploads short WAV files, members vote (and change
their votes) on an open proposal, and listeners buy tracks outright ("own it now", with an
idempotency key). A killer thread sends
SIGKILL at a random moment 1-6 s after each start, waits for the process to go, checks no
child process of it is left, runs `tutti ledger verify`, and restarts it on the same data
folder and port.

After each restart and at the end:
- `tutti ledger verify` exits 0;
- every play whose seek the client saw answered 206 is charged exactly once; sessions cut
  off by a kill are retried after the restart and are charged at most once; no charge
  exists for a session the client never got past the preview for (after the retries);
- every webhook delivery the client saw acknowledged is booked once; unacknowledged ones
  are sent again after the restart and are booked once;
- each listener's wallet equals its top-ups minus its charges;
- every upload the client saw accepted ends ready or failed with a reason; no track's
  transcode finished twice (the server's log, across restarts);
- every vote the client saw acknowledged (201) is recorded once, as cast; every vote
  answered 200 (unchanged) names a recorded vote with that choice; no member has more votes
  recorded than it cast (acknowledged or cut off by a kill);
- every own-it-now purchase the client saw acknowledged is charged once (one purchase row,
  its plays' prices summing to its price) and its listener owns the track; purchases cut off
  by a kill are retried with the same key after the restart and are charged at most once;
  plays counted before a purchase are plays 1 to its first play - 1;
- no orphaned child process.

Usage: tools/fault/crash-campaign.py [--kills 20] [--tutti PATH] [--seed N]
Prints the figures, and exits 1 if any check fails.
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import wave
import struct
import math

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "crash-campaign-webhook-secret-0123456789"


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, tutti, data, port, log_path):
        self.tutti, self.data, self.port, self.log_path = tutti, data, port, log_path
        self.process = None
        self.starts = []

    def start(self, demo=False):
        secret_file = os.path.join(os.path.dirname(self.data), "webhook-secret")
        with open(secret_file, "w") as f:
            f.write(SECRET)
        args = [self.tutti, "serve", "--data", self.data, "--port", str(self.port),
                "--payment-webhook-secret-file", secret_file]
        if demo:
            args += ["--demo", os.path.join(ROOT, "media/demo")]
        log = open(self.log_path, "a")
        began = time.monotonic()
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"tutti serve exited with {self.process.returncode}; see {self.log_path}")
            try:
                status, _ = request(self.port, "GET", "/health", timeout=5)
                if status == 200:
                    self.starts.append(time.monotonic() - began)
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("tutti serve did not answer /health within 300 s")

    def kill(self):
        pid = self.process.pid
        os.kill(pid, signal.SIGKILL)
        self.process.wait()
        return pid

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=300)


def request(port, method, path, body=None, headers=None, timeout=120):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def children_of(pid):
    """Processes whose parent is `pid`, or whose command line names the data folder."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return found


def processes_naming(text):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


def sine_wav(path, seconds, frequency):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(44100)
        frames = b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * frequency * n / 44100))) for n in range(int(44100 * seconds)))
        w.writeframes(frames)


def verify(tutti, data):
    run = subprocess.run([tutti, "ledger", "verify", "--data", data], capture_output=True, text=True)
    return run.returncode, run.stdout + run.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--tutti", default=os.path.join(ROOT, ".build/debug/tutti"))
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--listeners", type=int, default=40)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"crash campaign: {args.kills} kills, seed {args.seed}, {args.tutti}")

    work = tempfile.mkdtemp(prefix="tutti-crash-")
    data = os.path.join(work, "data")
    server = Server(args.tutti, data, free_port(), os.path.join(work, "serve.log"))
    server.start(demo=True)
    port = server.port
    failures = []

    def fail(text):
        failures.append(text)
        print("FAIL:", text, flush=True)

    # Wait for the demo catalog: three published tracks, two of them paid.
    deadline = time.monotonic() + 300
    while True:
        status, body = request(port, "GET", "/api/v1/tracks")
        items = json.loads(body).get("items", []) if status == 200 else []
        if len(items) >= 3:
            break
        if time.monotonic() > deadline:
            raise SystemExit("the demo catalog did not come up")
        time.sleep(0.5)
    paid = []
    for track in items:
        if not track["free"]:
            detail = json.loads(request(port, "GET", f"/api/v1/tracks/{track['id']}")[1])
            size = detail["renditions"][0]["bytes"]
            start = size * 3 // 4
            paid.append((track["id"], f"bytes={start}-{start + 999}"))

    def login(username, password):
        status, body = request(port, "POST", "/api/v1/sessions", json.dumps({"username": username, "password": password}), {"Content-Type": "application/json"})
        assert status in (200, 201), body
        session = json.loads(body)
        return session["token"], session["user"]["id"]

    listeners = []
    for n in range(args.listeners):
        credentials = json.dumps({"username": f"crash{n}", "password": "correct horse battery"})
        request(port, "POST", "/api/v1/users", credentials, {"Content-Type": "application/json"})
        listeners.append(login(f"crash{n}", "correct horse battery"))
    artist_token, _ = login("ada", "demo-ada-password")
    # Members who vote: artists with a published track before the proposal opens (its roll
    # is frozen then).
    wav = os.path.join(work, "upload.wav")
    sine_wav(wav, 2.0, 330)
    with open(wav, "rb") as f:
        wav_bytes = f.read()
    voters = []
    for n in range(6):
        credentials = json.dumps({"username": f"voter{n}", "password": "correct horse battery", "role": "artist"})
        request(port, "POST", "/api/v1/users", credentials, {"Content-Type": "application/json"})
        voters.append(login(f"voter{n}", "correct horse battery"))
        status, body = request(port, "POST", f"/api/v1/tracks?title=Voter+{n}", wav_bytes,
                               {"Authorization": f"Bearer {voters[-1][0]}", "Content-Type": "audio/wav"})
        assert status == 202, body
        voters[-1] = voters[-1] + (json.loads(body)["id"],)
    for token, _, track in voters:
        deadline = time.monotonic() + 300
        while json.loads(request(port, "GET", f"/api/v1/tracks/{track}", headers={"Authorization": f"Bearer {token}"})[1]).get("status") != "ready":
            if time.monotonic() > deadline:
                raise SystemExit(f"a voter's track {track} did not become ready")
            time.sleep(0.3)
        status, body = request(port, "PATCH", f"/api/v1/tracks/{track}", json.dumps({"published": True}),
                               {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        assert status == 200, body
    voters = [(token, user) for token, user, _ in voters]
    closes = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3 * 86400))
    status, body = request(port, "POST", "/api/v1/governance/proposals", json.dumps({
        "title": "Crash campaign proposal", "rationale": "Votes cast while the server is killed.", "closesAt": closes,
        "changes": {"basePrice": 3000}}), {"Authorization": f"Bearer {artist_token}", "Content-Type": "application/json"})
    assert status == 201, body
    proposal = json.loads(body)["id"]

    lock = threading.Lock()
    state = {
        "served": {},         # session id -> listener id: seek answered 206 (charged)
        "cut": {},            # session id -> (listener index, track id, seek): no answer
        "refused": 0,         # 402 and other refusals
        "topups_acked": {},   # event id -> (user id, amount)
        "topups_unacked": {}, # event id -> (user id, amount, body)
        "uploads": set(),     # track ids the server accepted
        "upload_errors": 0,
        "votes_acked": [],      # (member id, choice, sequence, recorded)
        "votes_cut": {},        # member id -> number of vote requests without an answer
        "votes_refused": 0,
        "purchases_acked": {},  # request id -> (listener id, track id, price)
        "purchases_cut": {},    # request id -> (listener index, track id)
        "purchases_refused": 0,
        "requests": 0,
        "connection_errors": 0,
    }
    stop = threading.Event()
    up = threading.Event()
    up.set()

    def signed(body):
        t = str(int(time.time()))
        mac = hmac.new(SECRET.encode(), (t + ".").encode() + body, hashlib.sha256).hexdigest()
        return {"Tutti-Signature": f"t={t},v1={mac}", "Content-Type": "application/json"}

    def send_topup(event, user, amount):
        body = json.dumps({"id": event, "type": "payment.succeeded", "data": {"user": user, "amount": amount, "currency": "credit"}}).encode()
        try:
            status, _ = request(port, "POST", "/api/v1/payments/webhook", body, signed(body))
        except OSError:
            status = None
        return status, body

    def client(index):
        local = random.Random(args.seed * 100 + index)
        n = 0
        while not stop.is_set():
            up.wait()
            n += 1
            roll = local.random()
            try:
                if roll < 0.80:
                    who = local.randrange(len(listeners))
                    token, _ = listeners[who]
                    track, seek = paid[local.randrange(len(paid))]
                    status, body = request(port, "POST", f"/api/v1/tracks/{track}/plays", headers={"Authorization": f"Bearer {token}"})
                    if status != 201:
                        with lock:
                            state["refused"] += 1
                        continue
                    session = json.loads(body)
                    url = session["audio"]["standard"]
                    try:
                        status, _ = request(port, "GET", url, headers={"Range": seek})
                    except OSError:
                        with lock:
                            state["cut"][session["id"]] = (who, track, seek)
                        continue
                    with lock:
                        if status == 206:
                            state["served"][session["id"]] = (listeners[who][1], track)
                        else:
                            state["refused"] += 1
                elif roll < 0.86:
                    member = local.randrange(len(voters))
                    token, voter = voters[member]
                    choice = local.choice(["yes", "no", "abstain"])
                    try:
                        status, body = request(port, "POST", f"/api/v1/governance/proposals/{proposal}/votes", json.dumps({"choice": choice}),
                                               {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                    except OSError:
                        with lock:
                            state["votes_cut"][voter] = state["votes_cut"].get(voter, 0) + 1
                        continue
                    with lock:
                        if status in (200, 201):
                            vote = json.loads(body)
                            state["votes_acked"].append((voter, choice, vote["sequence"], status == 201))
                        else:
                            state["votes_refused"] += 1
                            if state["votes_refused"] == 1:
                                print(f"first vote refused: {status} {body[:300]!r}", flush=True)
                elif roll < 0.88:
                    who = local.randrange(len(listeners))
                    token, user = listeners[who]
                    track = paid[local.randrange(len(paid))][0]
                    rid = f"buy-{index}-{n}-{local.randrange(1 << 30)}"
                    try:
                        status, body = request(port, "POST", f"/api/v1/tracks/{track}/purchase", json.dumps({"requestID": rid}),
                                               {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                    except OSError:
                        with lock:
                            state["purchases_cut"][rid] = (who, track)
                        continue
                    with lock:
                        if status in (200, 201):
                            state["purchases_acked"][rid] = (user, track, json.loads(body)["price"])
                        else:
                            state["purchases_refused"] += 1
                elif roll < 0.95:
                    _, user = listeners[local.randrange(len(listeners))]
                    event = f"evt_{index}_{n}_{local.randrange(1 << 30)}"
                    amount = local.choice([100_000, 500_000, 2_000_000])
                    status, body = send_topup(event, user, amount)
                    with lock:
                        if status == 200:
                            state["topups_acked"][event] = (user, amount)
                        else:
                            state["topups_unacked"][event] = (user, amount, body)
                else:
                    status, body = request(port, "POST", f"/api/v1/tracks?title=Crash+{index}+{n}", wav_bytes,
                                           {"Authorization": f"Bearer {artist_token}", "Content-Type": "audio/wav"})
                    with lock:
                        if status == 202:
                            state["uploads"].add(json.loads(body)["id"])
                        else:
                            state["upload_errors"] += 1
                with lock:
                    state["requests"] += 1
            except OSError:
                with lock:
                    state["connection_errors"] += 1
                time.sleep(0.05)

    # Every listener starts with a top-up the campaign knows was booked.
    for _, user in listeners:
        status, _ = send_topup(f"evt_start_{user}", user, 5_000_000)
        assert status == 200
        state["topups_acked"][f"evt_start_{user}"] = (user, 5_000_000)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()

    orphans_seen = 0
    lingered = 0.0
    verify_runs = 0
    for kill in range(args.kills):
        time.sleep(rng.uniform(1.0, 6.0))
        pid = server.process.pid
        up.clear()
        server.kill()
        # A transcoder notices its parent is gone within 200 ms (it polls getppid) and exits;
        # one still there after 5 s is orphaned.
        killed_at = time.monotonic()
        had_children = False
        while True:
            time.sleep(0.1)
            left = children_of(pid) + processes_naming(f"--data {data}") + [p for p in processes_naming(data) if p != server.process.pid]
            had_children = had_children or bool(left)
            if not left or time.monotonic() - killed_at > 5:
                break
        if had_children and not left:
            lingered = max(lingered, time.monotonic() - killed_at)
        if left:
            orphans_seen += len(set(left))
            fail(f"kill {kill + 1}: processes left behind: {sorted(set(left))}")
        code, text = verify(args.tutti, data)
        verify_runs += 1
        if code != 0:
            fail(f"kill {kill + 1}: tutti ledger verify exited {code}: {text[-400:]}")
        server.start()
        up.set()
        print(f"kill {kill + 1}/{args.kills}: verify ok={code == 0}, restart {server.starts[-1]:.2f} s, "
              f"served {len(state['served'])}, cut {len(state['cut'])}", flush=True)

    time.sleep(2)
    stop.set()
    for t in threads:
        t.join(timeout=300)

    # Retries after the last restart: sessions cut off and unacknowledged top-ups.
    token_of = {user: token for token, user in listeners}
    retried_served = 0
    for session_id, (who, track, seek) in list(state["cut"].items()):
        token = listeners[who][0]
        status, body = request(port, "GET", f"/api/v1/plays/{session_id}", headers={"Authorization": f"Bearer {token}"})
        if status != 200:
            fail(f"cut session {session_id}: GET answered {status}")
            continue
        url = json.loads(body)["audio"]["standard"]
        status, _ = request(port, "GET", url, headers={"Range": seek})
        if status == 206:
            state["served"][session_id] = (listeners[who][1], track)
            retried_served += 1
    for rid, (who, track) in list(state["purchases_cut"].items()):
        token, user = listeners[who]
        status, body = request(port, "POST", f"/api/v1/tracks/{track}/purchase", json.dumps({"requestID": rid}),
                               {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        if status in (200, 201):
            state["purchases_acked"][rid] = (user, track, json.loads(body)["price"])
    for event, (user, amount, body) in list(state["topups_unacked"].items()):
        status, _ = request(port, "POST", "/api/v1/payments/webhook", body, signed(body))
        if status == 200:
            state["topups_acked"][event] = (user, amount)
        else:
            fail(f"top-up {event} retried: {status}")

    # Uploads: each ends ready or failed with a reason.
    pending = set(state["uploads"])
    deadline = time.monotonic() + 600
    outcomes = {"ready": 0, "failed": 0}
    while pending and time.monotonic() < deadline:
        for track in list(pending):
            status, body = request(port, "GET", f"/api/v1/tracks/{track}", headers={"Authorization": f"Bearer {artist_token}"})
            detail = json.loads(body) if status == 200 else {}
            if detail.get("status") == "ready":
                outcomes["ready"] += 1
                pending.discard(track)
            elif detail.get("status") == "failed":
                if not detail.get("failureReason") and not detail.get("reason") and not detail.get("error"):
                    fail(f"upload {track} failed without a reason: {detail}")
                outcomes["failed"] += 1
                pending.discard(track)
        time.sleep(0.5)
    if pending:
        fail(f"{len(pending)} uploads neither ready nor failed after 600 s: {sorted(pending)[:5]}")
    server.stop()

    # The ledger against what the clients saw.
    code, text = verify(args.tutti, data)
    if code != 0:
        fail(f"final verify exited {code}: {text[-400:]}")
    db = sqlite3.connect(f"file:{data}/tutti.sqlite?mode=ro", uri=True)
    plays = db.execute("SELECT play_id, listener_id, price, track_id, play_number, completes_ownership FROM ledger_plays").fetchall()
    charged = {}    # session plays
    bought = {}     # request id -> [(play number, price, listener, track, completes ownership)]
    for play_id, listener, price, track, number, completes in plays:
        if play_id in charged:
            fail(f"play {play_id} charged twice")
        if "/" in play_id:  # Purchase.playID: "REQUEST/N"
            bought.setdefault(play_id.rsplit("/", 1)[0], []).append((number, price, listener, track, completes))
        else:
            charged[play_id] = (listener, price, track)
    purchases = {rid: (listener, track, first, last, price) for rid, listener, track, first, last, price in
                 db.execute("SELECT request_id, listener_id, track_id, first_play, last_play, price FROM ledger_purchases")}
    bought_pair = {}
    for rid, (user, track, price) in state["purchases_acked"].items():
        row = purchases.get(rid)
        if row is None:
            fail(f"acknowledged purchase {rid} is not recorded")
            continue
        listener, track_id, first, last, recorded = row
        items = bought.get(rid, [])
        if (listener, track_id) != (user, track) or recorded != price or sum(p for _, p, _, _, _ in items) != price \
                or sorted(n for n, _, _, _, _ in items) != list(range(first, last + 1)):
            fail(f"purchase {rid}: recorded {row} with plays {sorted(items)}, the client saw {(user, track, price)}")
        if not any(c for _, _, _, _, c in items):
            fail(f"purchase {rid}: the listener does not own the track after it")
        if (user, track) in bought_pair:
            fail(f"listener {user} bought track {track} twice")
        bought_pair[(user, track)] = first
    for rid in set(purchases) - set(state["purchases_acked"]):
        fail(f"purchase {rid} recorded but no client saw it acknowledged, even after retrying")
    # A listener owns a track after nine charged plays; later plays are served free. So per
    # listener and track: the charges are the first min(9, served) sessions served, each
    # one a session the client saw served past its preview.
    for play_id in charged:
        if play_id not in state["served"]:
            fail(f"play {play_id} was charged but its client never got past the preview")
    pairs = {}
    for session_id, pair in state["served"].items():
        pairs.setdefault(pair, []).append(session_id)
    for (listener, track), sessions in pairs.items():
        count = sum(1 for l, _, t in charged.values() if l == listener and t == track)
        if (listener, track) in bought_pair:
            # Bought outright: the plays counted before the purchase are 1 to its first play - 1.
            if count != bought_pair[(listener, track)] - 1 or count > len(sessions):
                fail(f"listener {listener}, track {track}: {count} plays charged before a purchase from play {bought_pair[(listener, track)]}, {len(sessions)} served")
            continue
        if count != min(9, len(sessions)):
            fail(f"listener {listener}, track {track}: {len(sessions)} plays served, {count} charged (expected {min(9, len(sessions))})")
    topups = dict(db.execute("SELECT id, amount FROM ledger_transfers WHERE id LIKE 'topup:%'").fetchall())
    for event, (user, amount) in state["topups_acked"].items():
        if topups.get(f"topup:{event}") != amount:
            fail(f"acknowledged top-up {event} booked as {topups.get(f'topup:{event}')}, expected {amount}")
    extra = set(topups) - {f"topup:{e}" for e in state["topups_acked"]}
    if extra:
        fail(f"top-ups booked that no client saw acknowledged, even after retries: {sorted(extra)[:5]}")
    for token, user in listeners:
        expected = sum(a for u, a in state["topups_acked"].values() if u == user) - sum(p for l, p, _ in charged.values() if l == user) \
            - sum(price for u, _, price in state["purchases_acked"].values() if u == user)
        row = db.execute("SELECT credits_posted - debits_posted FROM ledger_accounts WHERE kind = 'listener_wallet' AND owner = ?", (user,)).fetchone()
        balance = row[0] if row else None
        if balance != expected:
            fail(f"wallet of {user}: {balance}, the model says {expected}")

    # Votes: each acknowledged one recorded once, as cast; none that no client cast.
    gdb = db
    recorded_votes = {seq: (member, choice) for seq, member, choice in
                      gdb.execute("SELECT sequence, member_id, choice FROM governance_votes WHERE proposal_id = ?", (proposal,))}
    created = {}
    for voter, choice, sequence, was_recorded in state["votes_acked"]:
        if recorded_votes.get(sequence) != (voter, choice):
            fail(f"acknowledged vote {sequence} of {voter} ({choice}) recorded as {recorded_votes.get(sequence)}")
        if was_recorded:
            if sequence in created:
                fail(f"vote {sequence} acknowledged as new twice")
            created[sequence] = voter
    for _, voter in voters:
        mine = sum(1 for member, _ in recorded_votes.values() if member == voter)
        cast = sum(1 for v, _, _, r in state["votes_acked"] if v == voter and r) + state["votes_cut"].get(voter, 0)
        if mine > cast:
            fail(f"member {voter}: {mine} votes recorded, only {cast} cast (acknowledged or cut)")

    # No transcode finished twice, across every run's log.
    with open(server.log_path) as f:
        log = f.read()
    finished = re.findall(r"track=([0-9a-f-]+) \[TuttiServer\] transcode finished", log)
    twice = {t for t in finished if finished.count(t) > 1}
    if twice:
        fail(f"transcodes finished twice: {sorted(twice)}")
    # And in the store: one set of renditions per track (a second completed run would have
    # written its own, under its own version).
    media_root = os.path.join(data, "media")
    for track in os.listdir(media_root):
        standard = [f for f in os.listdir(os.path.join(media_root, track)) if f.startswith("standard-")]
        if len(standard) > 1:
            fail(f"track {track} has {len(standard)} standard renditions: {standard}")
    time.sleep(0.5)
    left = processes_naming(data)
    if left:
        fail(f"processes left after the final stop: {left}")

    starts = sorted(server.starts[1:])
    median = starts[len(starts) // 2] if starts else 0
    print()
    print(f"kills: {args.kills}, verify runs: {verify_runs + 1}, restarts median {median:.2f} s, max {max(starts or [0]):.2f} s")
    print(f"requests: {state['requests']}, connection errors during kills: {state['connection_errors']}")
    print(f"plays served past the preview: {len(state['served'])} ({retried_served} after a retry of a cut session), "
          f"charged: {len(charged)}, cut sessions: {len(state['cut'])}, refused: {state['refused']}")
    print(f"top-ups acknowledged: {len(state['topups_acked'])} (unacknowledged then retried: {len(state['topups_unacked'])})")
    print(f"votes acknowledged: {len(state['votes_acked'])} ({len(created)} recorded as new, the rest unchanged), "
          f"cut by a kill: {sum(state['votes_cut'].values())}, recorded in all: {len(recorded_votes)}, refused: {state['votes_refused']}")
    print(f"own-it-now purchases acknowledged: {len(state['purchases_acked'])} ({len(state['purchases_cut'])} cut by a kill and retried), "
          f"refused: {state['purchases_refused']} (already owned or not enough credit)")
    print(f"uploads accepted: {len(state['uploads'])}: ready {outcomes['ready']}, failed {outcomes['failed']}; refused {state['upload_errors']}")
    print(f"transcodes finished: {len(finished)}, none twice: {not twice}; orphans: {orphans_seen} "
          f"(children of a killed server gone within {lingered:.1f} s at most)")
    print("RESULT:", "PASS" if not failures else f"FAIL ({len(failures)} problems)")
    print(f"work folder: {work}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
