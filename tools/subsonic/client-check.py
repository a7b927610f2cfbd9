#!/usr/bin/env python3
"""A real Subsonic client library (py-opensonic, pinned in tools/install-deps.sh) against a
live Tutti: signs in with a token and with an API key, browses artists, albums, search,
stars and playlists, streams a free track whole and a paid one's preview, fetches a cover.

Every request the library sends is recorded; at the end each one that answers the envelope
is sent again as XML (f=xml) and saved in OUT, for the caller to check against the Subsonic
1.16.1 schema (TuttiServerTests, SubsonicClientTests).

Usage: client-check.py PORT USERNAME APP_PASSWORD FREE_TRACK PAID_TRACK OUT
Prints one line per check, and 'N passed, 0 failed' at the end; exits 1 on the first failure.
"""
import asyncio
import hashlib
import os
import sys
import urllib.parse
import urllib.request

from libopensonic._async.connection import AsyncConnection

port, username, secret, free_track, paid_track, out = sys.argv[1:7]
base = "http://127.0.0.1"
recorded = []
passed = 0


def check(condition, what):
    global passed
    if not condition:
        print(f"FAILED: {what}", flush=True)
        sys.exit(1)
    passed += 1
    print(f"ok: {what}", flush=True)


def record(original, with_lists):
    async def wrapper(self, method, *args, **kwargs):
        query = dict(kwargs.get("query") or (args[-1] if args and isinstance(args[-1], dict) and not with_lists else {}) or {})
        lists = {}
        if with_lists == "one":
            lists = {args[0]: list(args[1])}
            query = dict(args[2] if len(args) > 2 and args[2] else kwargs.get("query") or {})
        elif with_lists == "many":
            lists = {name: list(values) for name, values in args[0].items()}
            query = dict(args[1] if len(args) > 1 and args[1] else kwargs.get("query") or {})
        recorded.append((method, query, lists))
        return await original(self, method, *args, **kwargs)
    return wrapper


AsyncConnection._do_request = record(AsyncConnection._do_request, None)
AsyncConnection._do_request_with_list = record(AsyncConnection._do_request_with_list, "one")
AsyncConnection._do_request_with_lists = record(AsyncConnection._do_request_with_lists, "many")


async def body(response):
    data = await response.read()
    response.release()
    return data


async def main():
    token = AsyncConnection(base, username=username, password=secret, port=int(port), app_name="py-opensonic-check")
    by_key = AsyncConnection(base, api_key=secret, port=int(port), app_name="py-opensonic-check")
    try:
        check(await token.ping(), "token sign-in (u, t, s): ping")
        check(await by_key.ping(), "apiKey sign-in: ping")
        extensions = await by_key.get_open_subsonic_extensions()
        check(any(e.name == "apiKeyAuthentication" for e in extensions), "apiKeyAuthentication among the extensions")

        artists = await token.get_artists()
        names = [a.name for index in (artists.index or []) for a in (index.artist or [])]
        check(len(names) == 1, f"getArtists lists the one artist: {names}")
        artist_id = artists.index[0].artist[0].id
        artist = await by_key.get_artist(artist_id)
        check(len(artist.album or []) == 2, "getArtist lists the artist's two albums")
        albums = await token.get_album_list2("alphabeticalByName", size=10)
        check(len(albums) == 2, "getAlbumList2 alphabeticalByName: two albums")
        album_ids = [a.id for a in albums]
        paid_album = None
        for album_id in album_ids:
            album = await token.get_album(album_id)
            if any(song.id == paid_track for song in (album.song or [])):
                paid_album = album
        check(paid_album is not None and paid_album.cover_art, "getAlbum: the paid track's album, with a cover")

        everything = await token.search3("")
        check(len(everything.song or []) == 2 and len(everything.album or []) == 2, "search3 with an empty query lists everything")
        found = await by_key.search3("Free")
        check([s.id for s in (found.song or [])] == [free_track], "search3 'Free' finds the free song")

        check(await token.star(sids=[paid_track], album_ids=[paid_album.id]), "star a song and an album")
        starred = await by_key.get_starred2()
        check([s.id for s in (starred.song or [])] == [paid_track], "getStarred2: the starred song")
        check([a.id for a in (starred.album or [])] == [paid_album.id], "getStarred2: the starred album")
        check(await token.unstar(sids=[paid_track]), "unstar")

        check(await token.create_playlist(name="From py-opensonic", song_ids=[free_track, paid_track]) is not None, "createPlaylist with two songs")
        playlists = await token.get_playlists()
        check(len(playlists) == 1 and playlists[0].song_count == 2, "getPlaylists: one playlist of two songs")
        playlist = await by_key.get_playlist(playlists[0].id)
        check([e.id for e in (playlist.entry or [])] == [free_track, paid_track], "getPlaylist: its songs in order")
        check(await token.update_playlist(playlists[0].id, name="Renamed", song_indices_to_remove=[0]), "updatePlaylist")
        check((await token.get_playlist(playlists[0].id)).name == "Renamed", "the playlist renamed")

        free_song = await token.get_song(free_track)
        free_bytes = await body(await token.stream(free_track))
        check(len(free_bytes) == free_song.size and free_bytes[:4] == b"OggS", f"stream: the free track whole ({len(free_bytes)} bytes, size {free_song.size})")
        paid_song = await by_key.get_song(paid_track)
        paid_bytes = await body(await by_key.stream(paid_track))
        check(len(paid_bytes) == paid_song.size and paid_bytes[:4] == b"OggS", f"stream: the paid track's preview ({len(paid_bytes)} bytes, size {paid_song.size})")
        cover = await body(await token.get_cover_art(paid_album.cover_art, size=300))
        check(cover[:3] == b"\xff\xd8\xff", "getCoverArt: a JPEG")
        check(await token.scrobble(free_track), "scrobble")
    finally:
        await token.cleanup()
        await by_key.cleanup()

    # Every envelope the run received, again as XML, for the schema check.
    os.makedirs(out, exist_ok=True)
    saved = 0
    for number, (method, query, lists) in enumerate(recorded):
        name = method.removesuffix(".view")
        if name in ("stream", "download", "getCoverArt"):
            continue
        salt = hashlib.md5(os.urandom(16)).hexdigest()[:12]
        pairs = [("u", username), ("t", hashlib.md5((secret + salt).encode()).hexdigest()), ("s", salt), ("v", "1.16.1"), ("c", "xml-check")]
        pairs += [(k, ("true" if v else "false") if isinstance(v, bool) else str(v)) for k, v in query.items() if v is not None]
        pairs += [(k, str(v)) for k, values in lists.items() for v in values]
        # Replays of edits find their target changed or gone: a failed envelope is checked too.
        url = f"{base}:{port}/rest/{name}?{urllib.parse.urlencode(pairs)}"
        with urllib.request.urlopen(url, timeout=60) as response:
            with open(os.path.join(out, f"{number:03d}-{name}.xml"), "wb") as file:
                file.write(response.read())
        saved += 1
    check(saved >= 20, f"{saved} requests saved as XML")
    print(f"{passed} passed, 0 failed", flush=True)


asyncio.run(main())
