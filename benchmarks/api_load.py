"""Many operators at once: clients polling latest values and history against `ilrs serve`.

Starts `ilrs serve` (the live station twin streaming at --speed, a fresh SQLite archive),
then, for each client count, keeps that many HTTP/1.1 keep-alive connections busy for
--duration-s: each client loops over requests, 4 of 5 a parameter's latest value and 1 of 5
its history (min/max downsampling of the last 10 minutes of mission time, 200 buckets),
parameters drawn at random from those the flight director may read. The load generator is
a minimal asyncio HTTP client in this process (no httpx: its own cost would be measured).

Prints, per client count: requests/s, p50 / p99 / max latency, errors; and for the ingest
of the live twin, idle vs under load: packets archived per second, the twin's simulated
seconds per wall second and the worst ingest lag (how far the newest ingested housekeeping
trails the mission clock; unaffected = no more than half a pump period above idle).
Goals (issue 10): 16 clients ≥ 1,000 req/s with p99 < 50 ms; 64 clients p99 < 200 ms;
0 errors; ingest unaffected.

    .venv/bin/python benchmarks/api_load.py [--clients 16 64] [--duration-s 10]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import queue
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

GOALS = {16: (1000.0, 50.0), 64: (None, 200.0)}  # clients: (min req/s, max p99 ms)


def start_server(folder: Path, speed: float) -> tuple[subprocess.Popen, str, str]:
    """`ilrs serve` on a free port; (process, url, the flight director's token)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ilrs.cli", "serve", "--port", "0", "--speed", str(speed),
         "--db", str(folder / "archive.db")], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env=env, cwd=folder)  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    url = token = None
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if proc.poll() is not None:
                raise RuntimeError("ilrs serve exited") from None
            continue
        if url is None and (m := re.search(r"listening on (http://\S+?)[\s(]", line)):
            url = m.group(1)
        if re.match(r"\s+flight\.director\s", line):
            token = line.split()[-1]
        if line.startswith("API:") and url and token:
            return proc, url, token
    proc.kill()
    raise RuntimeError("ilrs serve did not become ready")


class Connection:
    """One keep-alive HTTP/1.1 connection; ``get`` returns (status, body)."""

    def __init__(self, host: str, port: int, token: str | None):
        self.host, self.port = host, port
        self.auth = "" if token is None else f"Authorization: Bearer {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.auth}\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?i)content-length:\s*(\d+)", head)
        body = await self.reader.readexactly(int(match.group(1))) if match else b""
        if re.search(rb"(?i)connection:\s*close", head):
            self.writer.close()
            self.writer = None
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _iso(ms: float) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def run_load(url: str, token: str | None, names: list[str], clients: int,
                   duration_s: float, mission: tuple[float, float, float], seed: int = 0,
                   fixed_path: str | None = None) -> dict:  # fmt: skip
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    history: list[float] = []  # the history requests' share of ``latencies``
    errors: list[str] = []
    rng = random.Random(seed)
    base_ms, at_s, speed = mission

    def path() -> str:
        if fixed_path is not None:
            return fixed_path
        name = rng.choice(names)
        if rng.random() < 0.8:
            return f"/api/parameters/{name}/latest"
        now_ms = base_ms + (time.time() - at_s) * 1000 * speed
        return (f"/api/parameters/{name}/downsample?start={_iso(now_ms - 600_000)}"
                f"&stop={_iso(now_ms)}&buckets=200")

    stop_at = time.perf_counter() + duration_s

    async def client() -> None:
        conn = Connection(host, int(port), token)
        try:
            while time.perf_counter() < stop_at:
                target = path()
                t0 = time.perf_counter()
                try:
                    status, body = await conn.get(target)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    errors.append(type(exc).__name__)
                    conn.close()
                    conn = Connection(host, int(port), token)
                    continue
                latencies.append(time.perf_counter() - t0)
                if "downsample" in target:
                    history.append(latencies[-1])
                if status != 200 and status != 404:  # 404: no value yet (not an error)
                    errors.append(f"{status} {body[:80]!r}")
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    wall = time.perf_counter() - t0
    lat, hist = sorted(latencies), sorted(history)

    def pct(p: float, xs: list[float]) -> float:
        return 1000 * xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")

    return {"clients": clients, "requests": len(lat), "rps": len(lat) / wall,
            "p50_ms": pct(0.50, lat), "p99_ms": pct(0.99, lat),
            "max_ms": 1000 * lat[-1] if lat else 0, "history_p99_ms": pct(0.99, hist),
            "errors": len(errors), "error_kinds": sorted(set(errors))[:3]}  # fmt: skip


def status(url: str, token: str) -> dict:
    async def one() -> dict:
        host, port = url.removeprefix("http://").split(":")
        conn = Connection(host, int(port), token)
        try:
            return json.loads((await conn.get("/api/status"))[1])
        finally:
            conn.close()

    return asyncio.run(one())


def _parse(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def ingest_rate(url: str, token: str, action) -> tuple[float, float, float, object]:
    """(packets archived per wall s, twin s per wall s, worst ingest lag in wall s, result)
    while ``action()`` runs. The lag is how far the newest ingested housekeeping (its
    twin time) trails the mission clock, sampled every 0.25 s: the twin pumps once a
    second, so it idles near 1 s, and grows if the twin or the ingest falls behind."""
    lags: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            s = status(url, token)
            if s.get("twin_time"):
                lags.append((_parse(s["mission_time"]) - _parse(s["twin_time"]))
                            / s["mission_speed"])  # fmt: skip

    sampler = threading.Thread(target=sample, daemon=True)
    a, t_a = status(url, token), time.perf_counter()
    sampler.start()
    result = action()
    done.set()
    sampler.join()
    b, t_b = status(url, token), time.perf_counter()
    wall = t_b - t_a
    twin = _parse(b["twin_time"]) - _parse(a["twin_time"])
    return ((b["ingest"]["packets"] - a["ingest"]["packets"]) / wall, twin / wall,
            max(lags, default=float("nan")), result)  # fmt: skip


def _fast_loop() -> None:
    """uvloop for the load generator when installed: less of the shared CPU for it."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--duration-s", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=60.0)
    args = parser.parse_args()
    _fast_loop()
    with tempfile.TemporaryDirectory(prefix="ilrs-api-load-") as tmp:
        t_start = time.perf_counter()
        proc, url, token = start_server(Path(tmp), args.speed)
        print(f"ilrs serve ready at {url} in {time.perf_counter() - t_start:.0f} s "
              f"(speed {args.speed:g}×)")
        try:
            names = [p["name"] for p in json.loads(asyncio.run(_get(url, token,
                                                                     "/api/mdb/parameters")))]
            sample = random.Random(1).sample(names, min(60, len(names)))
            time.sleep(3.0)  # a few seconds of history first
            s = status(url, token)
            mission = (dt.datetime.fromisoformat(s["mission_time"].replace("Z", "+00:00"))
                       .timestamp() * 1000, time.time(), s["mission_speed"])  # fmt: skip
            idle = ingest_rate(url, token, lambda: time.sleep(args.duration_s))
            print(f"{len(names)} parameters ({len(sample)} polled); ingest idle: "
                  f"{idle[0]:.0f} packets/s, twin {idle[1]:.1f} s per wall s, worst lag "
                  f"{idle[2]:.2f} s")
            ok = True
            results = []
            for n in args.clients:
                pk, twin, lag, r = ingest_rate(url, token, lambda n=n: asyncio.run(run_load(
                    url, token, sample, n, args.duration_s, mission)))  # fmt: skip
                results.append((n, r))
                min_rps, max_p99 = GOALS.get(n, (None, None))
                met = (r["errors"] == 0 and (min_rps is None or r["rps"] >= min_rps)
                       and (max_p99 is None or r["p99_ms"] < max_p99))  # fmt: skip
                # packets arrive in one batch per pump (1 s), so rates over 10 s move by a
                # batch (±10 %): the criterion is the ingest lag, which would grow
                unaffected = lag <= max(idle[2], 1.0) + 0.5
                ok &= met and unaffected
                rate = f"≥ {min_rps:.0f} req/s, " if min_rps else ""
                goal = f"goal {rate}p99 < {max_p99:g} ms" if max_p99 else "no goal"
                print(f"{n:3d} clients: {r['rps']:7.0f} req/s  p50 {r['p50_ms']:6.1f} ms  "
                      f"p99 {r['p99_ms']:6.1f} ms (history {r['history_p99_ms']:.1f})  "
                      f"max {r['max_ms']:6.1f} ms  "
                      f"errors {r['errors']} {r['error_kinds'] or ''} "
                      f"[{goal}: {'met' if met else 'NOT met'}]")
                print(f"     ingest under load: {pk:.0f} packets/s ({pk / idle[0]:.0%} of idle), "
                      f"twin {twin:.1f} s per wall s ({twin / idle[1]:.0%}), worst lag "
                      f"{lag:.2f} s (idle {idle[2]:.2f} s): "
                      f"{'unaffected' if unaffected else 'AFFECTED'}")
            # the peer, same run, same server: `ilrs serve`'s bare status answer (no token, no
            # FastAPI): the ceiling of its HTTP stack on this machine now
            peer = asyncio.run(run_load(url, None, [], 16, args.duration_s / 2, mission,
                                        fixed_path="/api/status"))  # fmt: skip
            ours = next((r for n, r in results if n == 16), None)
            print(f"peer (bare ASGI status, no auth), 16 clients: {peer['rps']:.0f} req/s, p99 "
                  f"{peer['p99_ms']:.1f} ms" + (f"; the API reaches {ours['rps'] / peer['rps']:.0%}"
                                               " of it" if ours else ""))
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"{dt.date.today().isoformat()}, {os.cpu_count()} cores shared "
                  f"(load average now {load}: other jobs on the same cores); "
                  f"{'all goals met' if ok else 'some goals NOT met'}")
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    return 0 if ok else 1


async def _get(url: str, token: str, path: str) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    conn = Connection(host, int(port), token)
    try:
        return (await conn.get(path))[1]
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
