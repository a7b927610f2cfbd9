#!/usr/bin/env python3
"""Listeners at real pace (issue 21): a load generator that behaves like players, not like wrk.

One process, asynchronous (asyncio, raw HTTP/1.1 over loopback sockets). Each listener:
opens a play session (POST /api/v1/tracks/{id}/plays; against nginx, no session), asks for
the rendition as a browser's media element does (`Range: bytes=N-`, open-ended, one
connection), starts playing once it holds START_SECONDS of audio, keeps reading only while
its buffer holds less than BUFFER_SECONDS (10 s) of audio ahead of the play position, so
that it reads at real time (the rendition's own byte rate, 128 kb/s) once the buffer is
full, and TCP's flow control holds the server back. At a random moment chosen when the
track starts it either leaves (closes the connection; a new listener takes its place),
seeks (closes the connection and asks again from the new position, `bytes=M-`), or plays
on to the end and opens the next track.

Measured, per step of the ramp (a step holds LISTENERS listeners for --step-seconds):
- listeners held (playing or buffering) at the end of the step;
- underruns: a listener whose buffer ran dry before its track (or its preview) ended.
  Those at the end of a metered session's free preview, while the server holds the stream
  until the preview has been listened to (PRODUCT.md, "What counts as a play"), are counted
  apart ("at the hold") from the others;
- time to first audio (from opening the session, or from the GET for nginx, until the
  player holds START_SECONDS of audio), p50 and p99;
- the server's CPU (% of one core) and RSS (from /proc, the PIDs given), and this
  process's own CPU and event-loop lag (if the generator saturates, its figures are wrong).

After the run, with --db (the service's SQLite file, read-only): every charge against the
model of what each listener heard. A metered session is heard past its preview when the
player received a byte at or past the free region's end (worked out here from the file's
own Ogg pages, as the server does); per listener and track the ledger must hold one charge
for each such session up to the ninth (the track is owned then), none for any other
session, at the prices base x 2^(n-1); and each wallet must equal its top-ups minus its
charges. `tutti ledger verify` is run by the driver (tools/bench/listeners.sh).

Leaves and seeks are never scheduled within 3 s (of listening) of the preview's end, where
whether the server has counted is a race that no client can see.

Plan file (JSON, written by the driver or a test):
  {"base": "http://127.0.0.1:PORT", "mode": "tutti" | "nginx", "previewSeconds": 45,
   "tracks": [{"id": ..., "file": PATH, "path": "/nginx/path" (nginx), "paid": true}],
   "listeners": [{"token": ..., "user": USER_ID, "topUp": UNITS}],   (tutti)
   "basePrice": 2000, "multiplier": 2, "playsToOwn": 9}

Usage: listeners.py PLAN --steps 1000,5000,10000 [--step-seconds 60] [--ramp-seconds 20]
                    [--speed 1] [--seed 21] [--pid PID ...] [--db tutti.sqlite] [--json OUT]
--speed S plays S times faster than real time (a test's server must run its clock S times
faster too, so that the preview's hold lasts as long in the player's time).
Exit status 1 if a charge differs from the model, or a listener saw an error.
"""
import argparse
import asyncio
import json
import os
import random
import socket
import sqlite3
import struct
import sys
import time
from urllib.parse import urlsplit

START_SECONDS = 1.0
BUFFER_SECONDS = 10.0
READ_SECONDS = 4.0  # the player reads again once its buffer is this far below BUFFER_SECONDS
HOLD_MARGIN = 3.0   # no leave or seek within this many seconds of the preview's end


def ogg_model(path, preview_seconds, tail_probe=98_304):
    """The rendition's size, duration and free region (bytes before the first page whose
    audio ends past the preview), from its Ogg pages: PreviewWindow's rule, worked out again."""
    with open(path, "rb") as f:
        data = f.read()
    offset, pages = 0, []
    while offset < len(data):
        if data[offset:offset + 4] != b"OggS":
            raise ValueError(f"{path}: no Ogg page at {offset}")
        granule = struct.unpack_from("<q", data, offset + 6)[0]
        count = data[offset + 26]
        body = sum(data[offset + 27:offset + 27 + count])
        pages.append((offset, granule, data[offset + 27 + count:offset + 27 + count + body]))
        offset += 27 + count + body
    pre_skip = struct.unpack_from("<H", pages[0][2], 10)[0]
    total = pages[-1][1] - pre_skip
    preview = preview_seconds * 48_000
    free_samples = preview if total > preview else max(0, total - 1)
    free_end = len(data)
    for page_offset, granule, _ in pages:
        if granule > 0 and granule - pre_skip > free_samples:
            free_end = page_offset
            break
    seconds = total / 48_000
    return {"size": len(data), "seconds": seconds, "freeEnd": free_end, "byteRate": len(data) / seconds}


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Failure(Exception):
    pass


# The generator's socket receive buffer in bytes (--client-rcvbuf); 0 leaves it to the kernel.
CLIENT_RCVBUF = 0


async def connect(host, port, limit):
    """A connection whose receive buffer is capped at CLIENT_RCVBUF, if set, before it
    connects (so the window it offers is sized for it). On loopback the players' receive
    buffers take from the same TCP memory as the server's send buffers; across a network
    they would be on the listeners' machines."""
    if not CLIENT_RCVBUF:
        return await asyncio.open_connection(host, port, limit=limit)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CLIENT_RCVBUF)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
    except BaseException:
        sock.close()
        raise
    return await asyncio.open_connection(sock=sock, limit=limit)


def tcp_counters():
    """The kernel's TCP memory counters (/proc/net/netstat): times it entered memory
    pressure, packets dropped for want of receive-queue memory, and prunes of receive
    queues. They tell a stall the kernel made from one a server made."""
    wanted = {"TCPMemoryPressures": "memoryPressures", "TCPRcvQDrop": "receiveQueueDrops", "PruneCalled": "prunes"}
    try:
        with open("/proc/net/netstat") as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            pairs = dict(zip(names.split()[1:], values.split()[1:]))
            return {label: int(pairs.get(name, 0)) for name, label in wanted.items()}
    return {}


async def http(host, port, method, path, headers=None, body=b"", limit=1 << 16):
    """Sends one request; returns (status, headers, reader, writer) with the body unread."""
    reader, writer = await connect(host, port, limit)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except BaseException:
        writer.close()
        raise
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ")[1])
    fields = {}
    for line in header_lines:
        if ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip()
    return status, fields, reader, writer


async def read_body(fields, reader):
    if fields.get("transfer-encoding", "").lower() == "chunked":
        out = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                return out
            out += await reader.readexactly(size)
            await reader.readexactly(2)
    if "content-length" in fields:
        return await reader.readexactly(int(fields["content-length"]))
    return await reader.read()


def underrun_kind(metered, heard_past_preview, seeking, played_seconds, play_pos, free_end, byte_rate):
    """Where a stall outside the hold happened, to tell causes apart: in the first seconds
    of playback (of a track, or after a seek), just past a metered preview's end (the rest
    came too slowly after the charge), or later in the stream."""
    if played_seconds < 5:
        return "seek-start" if seeking else "start"
    if metered and heard_past_preview and play_pos - free_end < 5 * byte_rate:
        return "after-hold"
    return "free-stream" if not metered else ("paid-stream" if heard_past_preview else "preview")


class Stats:
    def __init__(self):
        self.reset()
        self.sessions = {}  # session id -> (user, track index, heard past the preview)
        self.errors = []
        self.held = 0

    def reset(self):
        self.ttfa = []
        self.seek_resume = []       # from a seek's request until playback resumes
        self.hold_release = []      # from the GET until the first byte past the preview came
        self.hold_stalls = []       # how long each stall at the hold lasted
        self.hold_stalls_after_seek = []  # the same, for players that sought inside the preview
        self.hold_reached = []      # from the GET until the player's position reached the preview's end
        self.hold_passages = 0      # metered plays that went on past the preview through the hold
        self.underruns = 0          # stalls elsewhere than at the hold
        self.underrun_kinds = {}    # where those were: see Listener's `underrun_kind`
        self.hold_underruns = 0     # stalls at a metered session's preview end
        self.stall_seconds = 0.0
        self.hold_stall_seconds = 0.0
        self.listeners_with_underrun = set()
        self.tracks_started = 0
        self.tracks_finished = 0
        self.leaves = 0
        self.seeks = 0
        self.previews_ended = 0
        self.bytes = 0


class Generator:
    def __init__(self, plan, args):
        self.plan, self.args = plan, args
        self.mode = plan["mode"]
        base = urlsplit(plan["base"])
        self.host, self.port = base.hostname, base.port
        self.speed = args.speed
        self.preview = plan.get("previewSeconds", 45)
        self.tracks = []
        for track in plan["tracks"]:
            model = ogg_model(track["file"], self.preview)
            model.update(track)
            self.tracks.append(model)
        self.listeners = plan.get("listeners", [])
        self.stats = Stats()
        self.rng = random.Random(args.seed)
        self.stopping = False
        self.next_user = 0

    def now(self):
        return time.monotonic()

    # --- one listener -------------------------------------------------------------------------

    async def listener(self, slot, stop_event):
        rng = random.Random(self.args.seed * 1_000_003 + slot)
        await asyncio.sleep(rng.uniform(0, self.args.ramp_seconds))
        while not stop_event.is_set():
            user = self.listeners[(slot * 7919 + self.next_user) % len(self.listeners)] if self.listeners else None
            self.next_user += 1
            track_index = rng.randrange(len(self.tracks))
            try:
                await self.play_track(rng, user, track_index, stop_event)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, Failure) as error:
                self.stats.errors.append(f"{type(error).__name__}: {error}")
                await asyncio.sleep(1)
            # A short pause between tracks (the next listener, or the next track, arrives).
            await asyncio.sleep(rng.uniform(0, 2) / self.speed)

    async def open_session(self, user, track):
        headers = {"Authorization": f"Bearer {user['token']}"} if user and user.get("token") else {}
        status, fields, reader, writer = await http(self.host, self.port, "POST", f"/api/v1/tracks/{track['id']}/plays", headers)
        try:
            body = await read_body(fields, reader)
        finally:
            writer.close()
        if status != 201:
            raise Failure(f"opening a play session answered {status}: {body[:200]!r}")
        session = json.loads(body)
        return session["id"], session["audio"]["standard"], session.get("access")

    async def play_track(self, rng, user, track_index, stop_event):
        track = self.tracks[track_index]
        rate = track["byteRate"] * self.speed       # bytes of audio played per wall second
        size, free_end = track["size"], track["freeEnd"]
        began = self.now()
        session_id, access = None, None
        if self.mode == "tutti":
            session_id, path, access = await self.open_session(user, track)
        else:
            path = track["path"]
        metered = self.mode == "tutti" and access == "metered"
        # What this play will do, decided now (in seconds of listening since playback began).
        roll = rng.random()
        duration = track["seconds"]
        hold_at = self.preview

        def clear_of_hold(t):
            return not metered or abs(t - hold_at) > HOLD_MARGIN

        action, at, seek_to = "end", None, None
        if roll < self.args.leave:
            action = "leave"
            at = rng.uniform(2, duration)
            while not clear_of_hold(at):
                at = rng.uniform(2, duration)
        elif roll < self.args.leave + self.args.seek:
            action = "seek"
            at = rng.uniform(2, min(duration - 5, 90))
            while not clear_of_hold(at):
                at = rng.uniform(2, min(duration - 5, 90))
            seek_to = rng.uniform(0, duration - 15)
        self.stats.tracks_started += 1
        self.stats.held += 1
        heard_past_preview = False
        try:
            offset = 0                 # the next byte the stream will deliver
            play_pos = 0.0             # bytes played
            buffered = 0               # bytes held (from the start of the file)
            started_at = None          # wall time playback began
            last = None                # wall time play_pos was last brought up to date
            stalled = False
            hold_stall_began = None    # when a stall at the hold began (wall time)
            seeking = False
            resumed = None
            pending = action in ("leave", "seek")   # a leave or seek still to come at `at`
            first_get = self.now()                  # the server's listening time starts no earlier
            while True:
                status, fields, reader, writer = await http(
                    self.host, self.port, "GET", path, {"Range": f"bytes={offset}-"}, limit=1 << 16)
                try:
                    if status not in (200, 206):
                        body = await read_body(fields, reader)
                        if status == 402 or status == 416:
                            self.stats.previews_ended += 1
                            return
                        raise Failure(f"GET {status}: {body[:200]!r}")
                    first = offset
                    if status == 206:
                        first = int(fields["content-range"].split(" ")[1].split("-")[0])
                    end = first + int(fields["content-length"])   # what this answer will hold
                    buffered = first
                    while True:
                        now = self.now()
                        # Bring the play position up to date; a dry buffer is an underrun.
                        if started_at is not None:
                            play_pos += (now - last) * rate
                            last = now
                            if play_pos >= buffered and buffered < end:
                                over = (play_pos - buffered) / rate
                                if not stalled:
                                    stalled = True
                                    at_hold = metered and not heard_past_preview and buffered >= free_end
                                    if at_hold:
                                        self.stats.hold_underruns += 1
                                        hold_stall_began = now - over
                                    else:
                                        self.stats.underruns += 1
                                        kind = underrun_kind(metered, heard_past_preview, seeking, now - started_at, play_pos, free_end, track["byteRate"])
                                        self.stats.underrun_kinds[kind] = self.stats.underrun_kinds.get(kind, 0) + 1
                                    self.stats.listeners_with_underrun.add(slot_key(session_id, began))
                                if metered and not heard_past_preview and buffered >= free_end:
                                    self.stats.hold_stall_seconds += over
                                else:
                                    self.stats.stall_seconds += over
                                play_pos = buffered
                            listened = now - started_at
                            if pending and listened * self.speed >= at:
                                if self.may_stop(metered, heard_past_preview, first_get, now):
                                    break
                                pending = False  # postponed until the play has counted (or its stream ends)
                            elif not pending and action in ("leave", "seek") and heard_past_preview:
                                break
                            if play_pos >= size or (buffered >= end and play_pos >= buffered):
                                break
                        if stop_event.is_set() and self.may_stop(metered, heard_past_preview, first_get, now):
                            break
                        ahead = (buffered - play_pos) / rate if started_at is not None else 0
                        if buffered >= end:
                            # This answer is all in; play it out (or leave/seek meanwhile).
                            wait = max(0.01, (buffered - play_pos) / rate) if started_at is not None else 0.01
                            if pending:
                                wait = min(wait, max(0.01, at / self.speed - (now - started_at))) if started_at else wait
                            await asyncio.sleep(wait)
                            if started_at is None:
                                started_at = last = self.now()
                            continue
                        if started_at is not None and ahead > BUFFER_SECONDS - READ_SECONDS:
                            sleep = ahead - (BUFFER_SECONDS - READ_SECONDS)
                            if pending:
                                sleep = min(sleep, max(0.0, at / self.speed - (now - started_at)))
                            await asyncio.sleep(max(0.005, sleep))
                            continue
                        want = int(BUFFER_SECONDS * rate - (buffered - play_pos)) if started_at is not None else int(BUFFER_SECONDS * track["byteRate"])
                        want = max(4096, want)
                        if started_at is not None:
                            timeout = max(0.05, (buffered - play_pos) / rate)
                            if pending:
                                timeout = min(timeout, max(0.05, at / self.speed - (now - started_at)))
                        else:
                            timeout = None
                        try:
                            async with asyncio.timeout(timeout):
                                chunk = await reader.read(min(want, 1 << 16))
                        except TimeoutError:
                            continue
                        if not chunk:
                            if buffered < end:
                                raise Failure(f"stream ended at {buffered} of {end}")
                            continue
                        if metered and not heard_past_preview and buffered + len(chunk) > free_end:
                            heard_past_preview = True
                            if not seeking and buffered == free_end:
                                self.stats.hold_passages += 1
                                # When the server let the rest go, and when this player's
                                # position reached the free region's end, from its GET.
                                self.stats.hold_release.append(self.now() - first_get)
                                if started_at is not None:
                                    self.stats.hold_reached.append(started_at + free_end / rate - first_get)
                        buffered += len(chunk)
                        self.stats.bytes += len(chunk)
                        if stalled and buffered > play_pos:
                            stalled = False
                            if hold_stall_began is not None:
                                # A player that sought forward inside the preview waits there
                                # until it has listened for the preview's length (the rule).
                                episodes = self.stats.hold_stalls_after_seek if seeking else self.stats.hold_stalls
                                episodes.append(self.now() - hold_stall_began)
                                hold_stall_began = None
                        if started_at is None and (buffered - offset >= START_SECONDS * track["byteRate"] or buffered >= end):
                            started_at = last = self.now()
                            if seeking:
                                self.stats.seek_resume.append(started_at - resumed)
                            else:
                                self.stats.ttfa.append(started_at - began)
                finally:
                    writer.close()
                if stop_event.is_set() and self.may_stop(metered, heard_past_preview, first_get, self.now()):
                    return
                if started_at is not None and action in ("leave", "seek") and (
                        (pending and (self.now() - started_at) * self.speed >= at) or (not pending and heard_past_preview)):
                    if action == "leave":
                        self.stats.leaves += 1
                        return
                    # Seek: a new request from the new position; playback resumes once it
                    # holds START_SECONDS again (not an underrun: the player asked for it).
                    self.stats.seeks += 1
                    action = "end"
                    pending = False
                    offset = int(seek_to * track["byteRate"])
                    offset = min(offset, size - 1)
                    play_pos = float(offset)
                    buffered = offset
                    started_at = None
                    stalled = False
                    hold_stall_began = None
                    resumed = self.now()
                    seeking = True
                    continue
                if play_pos >= size or buffered >= size:
                    self.stats.tracks_finished += 1
                    return
                # The answer ended before the file did: the preview's end for a listener who
                # cannot pay (a shorter 206), so the track ends here.
                self.stats.previews_ended += 1
                return
        finally:
            self.stats.held -= 1
            if session_id is not None:
                self.stats.sessions[session_id] = (user["user"] if user else None, track_index, heard_past_preview, metered)

    def may_stop(self, metered, heard_past_preview, first_get, now):
        """Whether a listener may close its stream now (leave, seek, or the run's end) with
        the model of its charge certain: always, unless its metered play has not counted yet
        and the server may count it at any moment (the server's listening time starts at the
        first GET or later, so before preview - HOLD_MARGIN since the first GET it cannot
        have counted). Such a listener goes on until it has heard past the preview."""
        if not metered or heard_past_preview:
            return True
        return (now - first_get) * self.speed < self.preview - HOLD_MARGIN

    # --- the ramp -----------------------------------------------------------------------------

    async def run(self):
        steps = [int(s) for s in self.args.steps.split(",")]
        stop_event = asyncio.Event()
        tasks = []
        results = []
        lag = {"max": 0.0}

        async def ticker():
            while True:
                before = self.now()
                await asyncio.sleep(0.1)
                lag["max"] = max(lag["max"], self.now() - before - 0.1)

        tick = asyncio.create_task(ticker())
        for level in steps:
            while len(tasks) < level:
                tasks.append(asyncio.create_task(self.listener(len(tasks), stop_event)))
            # Let the new listeners arrive and settle, then measure.
            await asyncio.sleep(self.args.ramp_seconds + self.args.settle_seconds / self.speed)
            self.stats.reset()
            lag["max"] = 0.0
            cpu_before = {pid: cpu_seconds(pid) for pid in self.args.pid}
            tcp_before = tcp_counters()
            own_before = os.times()
            rss_peak = 0
            began = self.now()
            while self.now() - began < self.args.step_seconds:
                await asyncio.sleep(1)
                rss_peak = max(rss_peak, sum(rss_kib(pid) for pid in self.args.pid))
            elapsed = self.now() - began
            cpu_after = {pid: cpu_seconds(pid) for pid in self.args.pid}
            own_after = os.times()
            s = self.stats
            row = {
                "listeners": level, "held": s.held, "seconds": round(elapsed, 1),
                "underruns": s.underruns, "holdUnderruns": s.hold_underruns, "underrunKinds": dict(s.underrun_kinds),
                "kernelTcp": {name: value - tcp_before.get(name, 0) for name, value in tcp_counters().items()},
                "stallSeconds": round(s.stall_seconds / self.speed, 2), "holdStallSeconds": round(s.hold_stall_seconds / self.speed, 2),
                "ttfaP50": percentile(s.ttfa, 50), "ttfaP99": percentile(s.ttfa, 99), "starts": len(s.ttfa),
                "seekResumeP99": percentile(s.seek_resume, 99), "holdPassages": s.hold_passages,
                "holdReleaseP50": percentile(s.hold_release, 50), "holdReleaseP99": percentile(s.hold_release, 99),
                "holdReachedP50": percentile(s.hold_reached, 50),
                "holdStallP50": percentile(s.hold_stalls, 50), "holdStallP99": percentile(s.hold_stalls, 99),
                "holdStallsAfterSeek": len(s.hold_stalls_after_seek), "holdStallAfterSeekP50": percentile(s.hold_stalls_after_seek, 50),
                "tracksStarted": s.tracks_started, "tracksFinished": s.tracks_finished, "leaves": s.leaves, "seeks": s.seeks,
                "previewsEnded": s.previews_ended, "mbPerSecond": round(s.bytes / elapsed / 1e6, 2),
                "serverCpuPercent": round(100 * sum(cpu_after[p] - cpu_before[p] for p in self.args.pid) / elapsed, 1),
                "serverRssMiB": round(rss_peak / 1024, 1),
                "generatorCpuPercent": round(100 * ((own_after.user + own_after.system) - (own_before.user + own_before.system)) / elapsed, 1),
                "loopLagMaxMs": round(lag["max"] * 1000, 1),
                "errors": len(s.errors),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
        stop_event.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        tick.cancel()
        return results

    # --- charges against the model ------------------------------------------------------------

    def check_charges(self, db_path):
        problems = []
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        rows = db.execute("SELECT play_id, listener_id, price, track_id FROM ledger_plays").fetchall()
        charged = {}
        for play_id, listener, price, track in rows:
            charged[play_id] = (listener, price, track)
        ours = {sid for sid in self.stats.sessions}
        heard = {sid for sid, (_, _, past, metered) in self.stats.sessions.items() if past and metered}
        for play_id, (listener, price, track) in charged.items():
            if play_id in ours and play_id not in heard:
                problems.append(f"play {play_id} charged {price} but its listener never heard past the preview")
        pairs = {}
        for sid in heard:
            user, track_index, _, _ = self.stats.sessions[sid]
            pairs.setdefault((user, self.tracks[track_index]["id"]), []).append(sid)
        base, multiplier, own = self.plan.get("basePrice", 2000), self.plan.get("multiplier", 2), self.plan.get("playsToOwn", 9)
        charges_checked = 0
        for (user, track), sessions in pairs.items():
            mine = [(p, pr) for p, (l, pr, t) in charged.items() if l == user and t == track]
            expected = min(own, len(sessions))
            if len(mine) != expected:
                problems.append(f"listener {user}, track {track}: {len(sessions)} plays heard past the preview, {len(mine)} charged (expected {expected})")
            expected_total = sum(base * multiplier ** n for n in range(len(mine)))
            if sum(pr for _, pr in mine) != expected_total:
                problems.append(f"listener {user}, track {track}: charges {sorted(pr for _, pr in mine)} do not follow the price rule")
            charges_checked += len(mine)
        for listener in self.listeners:
            user = listener["user"]
            spent = sum(pr for (l, pr, _) in charged.values() if l == user)
            row = db.execute("SELECT credits_posted - debits_posted FROM ledger_accounts WHERE kind = 'listener_wallet' AND owner = ?", (user,)).fetchone()
            balance = row[0] if row else 0
            if balance != listener.get("topUp", 0) - spent:
                problems.append(f"wallet of {user}: {balance}, the model says {listener.get('topUp', 0) - spent}")
        summary = {
            "sessions": len(self.stats.sessions),
            "meteredSessions": sum(1 for v in self.stats.sessions.values() if v[3]),
            "heardPastPreview": len(heard), "charges": len(charged), "chargesChecked": charges_checked,
            "wallets": len(self.listeners), "problems": len(problems),
        }
        return summary, problems


def slot_key(session_id, began):
    return session_id or began


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("plan")
    parser.add_argument("--steps", default="100")
    parser.add_argument("--step-seconds", type=float, default=60)
    parser.add_argument("--ramp-seconds", type=float, default=20, help="new listeners arrive spread over this many seconds")
    parser.add_argument("--settle-seconds", type=float, default=15, help="player seconds after the ramp before measuring")
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--leave", type=float, default=0.25, help="share of plays that leave at a random moment")
    parser.add_argument("--seek", type=float, default=0.25, help="share of plays that seek at a random moment")
    parser.add_argument("--pid", type=int, action="append", default=[], help="server process to sample (repeat for nginx's workers)")
    parser.add_argument("--db", help="the service's SQLite file: check every charge against the model after the run")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--client-rcvbuf", type=int, default=0,
                        help="cap each player's socket receive buffer at this many bytes (0: the kernel's autotuning)")
    args = parser.parse_args()
    global CLIENT_RCVBUF
    CLIENT_RCVBUF = args.client_rcvbuf
    with open(args.plan) as f:
        plan = json.load(f)
    generator = Generator(plan, args)
    try:
        if os.environ.get("LISTENERS_EVENT_LOOP") == "asyncio":
            raise ImportError("plain asyncio asked for")
        import uvloop  # libuv's event loop, if installed: the same program, about twice as fast
    except ImportError:
        results = asyncio.run(generator.run())
        loop_name = "asyncio"
    else:
        results = uvloop.run(generator.run())
        loop_name = "uvloop"
    print(json.dumps({"eventLoop": loop_name}), flush=True)
    report = {"mode": plan["mode"], "eventLoop": loop_name, "steps": results, "errors": generator.stats.errors[:20], "errorCount": len(generator.stats.errors)}
    failed = bool(generator.stats.errors)
    if args.db:
        summary, problems = generator.check_charges(args.db)
        report["charges"] = summary
        report["chargeProblems"] = problems[:50]
        print(json.dumps({"charges": summary}), flush=True)
        for problem in problems[:20]:
            print("CHARGE MISMATCH:", problem, flush=True)
        failed = failed or bool(problems)
    for error in generator.stats.errors[:10]:
        print("ERROR:", error, flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
