#!/usr/bin/env python3
# The hold as one listener sees it (issue 21): opens a play session on a data folder made by
# tools/bench/listeners.sh (its plan-tutti.json), asks bytes=0- and reads as fast as it can;
# prints when the free region was all in and when the first byte past it came, from the GET.
#   tools/bench/hold-probe.py BASE_URL LISTENER_INDEX PAID_TRACK_INDEX
import importlib.util
import json
import os
import socket
import sys
import time
import urllib.request

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("listeners", os.path.join(here, "listeners.py"))
l = importlib.util.module_from_spec(spec)
spec.loader.exec_module(l)
plan = json.load(open(os.path.join(here, "work/listeners/plan-tutti.json")))
base = sys.argv[1]; who = plan["listeners"][int(sys.argv[2])]
track = [t for t in plan["tracks"] if t["paid"]][int(sys.argv[3])]
model = l.ogg_model(track["file"], 45)
req = urllib.request.Request(f"{base}/api/v1/tracks/{track['id']}/plays", method="POST", headers={"Authorization": f"Bearer {who['token']}"})
session = json.load(urllib.request.urlopen(req))
url = session["audio"]["standard"]
host, port = base.split("//")[1].split(":")
s = socket.create_connection((host, int(port)))
t0 = time.monotonic()
s.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n".encode())
data = b""; header_end = None; t_free = None; t_past = None
while True:
    chunk = s.recv(1 << 16)
    if not chunk: break
    data += chunk
    if header_end is None and b"\r\n\r\n" in data:
        header_end = data.index(b"\r\n\r\n") + 4
    if header_end is not None:
        body = len(data) - header_end
        if t_free is None and body >= model["freeEnd"]: t_free = time.monotonic() - t0
        if body > model["freeEnd"]: t_past = time.monotonic() - t0; break
print(json.dumps({"freeEndAt": round(t_free, 3), "firstBytePastAt": round(t_past, 3), "beyond45": round(t_past - 45, 3)}))
