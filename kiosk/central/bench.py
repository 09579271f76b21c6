"""``kiosk-central bench``: the central queue under load (DESIGN §7).

Starts the real service (``python -m kiosk.central serve``, uvicorn worker processes) on the
given database — a temp SQLite file by default, or a fresh schema of a PostgreSQL database that
is dropped afterwards — then, from threads of this process:

- ``--kiosks`` kiosks sync ``ticket_issued`` events in batches of ``--batch``; a tenth of the
  batches are sent twice (a kiosk that lost the response and retries) and some tickets are
  re-sent under a new event id (an outbox that re-queued them);
- ``--counters`` counters call "next" over the same agencies.

Then it checks in the database: every acknowledged check-in stored once (``lost``,
``duplicated``) and no ticket given to two counters (``double_dispatched``), all of which must be
0 (exit status 1 otherwise). The baseline, measured in the same run against the same server, is
the naive client: one event per request.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kiosk.central.process import read_listening_url, serve_command

AGENCIES = [f"bench-ag-{i}" for i in range(5)]


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)  # ticket ids the central acknowledged
    accepted: int = 0
    errors: int = 0
    dispatched: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _event(kiosk_id: str, agency: str, n: int, now: datetime) -> dict[str, Any]:
    appointment = n % 3 == 0
    ticket_id = uuid.uuid4().hex
    issued = now.isoformat()
    return {
        "event_id": uuid.uuid4().hex,
        "type": "ticket_issued",
        "occurred_at": issued,
        "payload": {
            "ticket_id": ticket_id,
            "number": f"G-{n % 1000}",
            "agency_id": agency,
            "kiosk_id": kiosk_id,
            "tramite_id": "cert-sgrt" if n % 2 else "cod-ext",
            "kind": "appointment" if appointment else "walk_in",
            "turn_id": uuid.uuid4().hex[:16] if appointment else None,
            "slot_start": issued if appointment else None,
            "priority": n % 10 == 0,
            "citizen_ref": secrets.token_hex(16),
            "issued_at": issued,
            "documents": [
                {
                    "document_id": uuid.uuid4().hex,
                    "requirement_id": "cedula",
                    "sha256": secrets.token_hex(32),
                    "size": 350_000,
                    "content_type": "image/jpeg",
                }
            ],
        },
    }


def _kiosk(
    base: str,
    kiosk_id: str,
    cred: str,
    agency: str,
    batch: int,
    stop: threading.Event,
    stats: Stats,
    seed: int,
    pace: float | None = None,
) -> None:
    """Back to back (``pace`` None: saturation) or one batch every ``pace`` seconds."""
    rnd = random.Random(seed)
    headers = {"X-Kiosk-Id": kiosk_id, "Authorization": f"Bearer {cred}"}
    n = 0
    next_at = time.monotonic() + (rnd.random() * pace if pace else 0.0)
    previous: list[dict[str, Any]] = []
    with httpx.Client(base_url=base, timeout=30, headers=headers) as http:
        while not stop.is_set():
            if pace is not None:
                if stop.wait(max(0.0, next_at - time.monotonic())):
                    break
                next_at += pace
            now = datetime.now(UTC)
            events = [_event(kiosk_id, agency, n + i, now) for i in range(batch)]
            n += batch
            if previous and rnd.random() < 0.05:  # re-queued ticket under a new event id
                events[-1] = {**previous[0], "event_id": uuid.uuid4().hex}
            body = json.dumps({"events": events})
            sends = 2 if rnd.random() < 0.1 else 1  # lost response: the kiosk retries
            for _ in range(sends):
                t0 = time.perf_counter()
                try:
                    r = http.post(
                        "/api/v1/sync", content=body, headers={"Content-Type": "application/json"}
                    )
                except httpx.HTTPError:
                    with stats.lock:
                        stats.errors += 1
                    continue
                elapsed = (time.perf_counter() - t0) * 1000
                if r.status_code != 200:
                    with stats.lock:
                        stats.errors += 1
                    continue
                results = r.json()["results"]
                with stats.lock:
                    stats.latencies.append(elapsed)
                    for ev, res in zip(events, results, strict=True):
                        if res["status"] in ("accepted", "duplicate", "conflict"):
                            stats.acked.add(ev["payload"]["ticket_id"])
                        if res["status"] == "accepted":
                            stats.accepted += 1
            previous = events


def _counter(
    base: str, admin: str, agency: str, counter: str, stop: threading.Event, stats: Stats
) -> None:
    headers = {"Authorization": f"Bearer {admin}"}
    url = f"/api/v1/agencies/{agency}/counters/{counter}/next"
    with httpx.Client(base_url=base, timeout=30, headers=headers) as http:
        while not stop.is_set():
            try:
                r = http.post(url)
            except httpx.HTTPError:
                continue
            if r.status_code == 200:
                with stats.lock:
                    stats.dispatched.append(r.json()["ticket_id"])
                # a real counter calls every few minutes; 2/s keeps 20 of them contending
                stop.wait(0.5)
            else:
                stop.wait(1.0)


def _phase(
    base: str,
    admin: str,
    kiosks: list[tuple[str, str, str]],
    counters: int,
    batch: int,
    seconds: float,
    pace: float | None = None,
) -> tuple[Stats, float]:
    stats = Stats()
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_kiosk, args=(base, k, c, a, batch, stop, stats, i, pace), daemon=True
        )
        for i, (k, c, a) in enumerate(kiosks)
    ] + [
        threading.Thread(
            target=_counter,
            args=(base, admin, AGENCIES[i % len(AGENCIES)], f"v{i}", stop, stats),
            daemon=True,
        )
        for i in range(counters)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(60)
    return stats, time.perf_counter() - t0


def _start_server(db_url: str, workdir: Path, admin: str, workers: int) -> tuple[Any, str]:
    cmd = serve_command(db_url, workdir / "keys", admin, workers=workers)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True
    )
    assert proc.stdout is not None
    base = read_listening_url(proc.stdout)
    if not base:
        raise RuntimeError("kiosk-central did not start")
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("kiosk-central never became healthy")


def _verify(db_url: str, stats: Stats, generated_prefix: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            stored = {
                r[0]
                for r in conn.execute(
                    text("SELECT ticket_id FROM tickets WHERE kiosk_id LIKE :p"),
                    {"p": generated_prefix + "%"},
                )
            }
            rows = conn.execute(
                text("SELECT count(*) FROM tickets WHERE kiosk_id LIKE :p"),
                {"p": generated_prefix + "%"},
            ).scalar_one()
            twice_in_queue = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT turn_id FROM tickets WHERE turn_id IS NOT NULL"
                    " AND state <> 'held' AND kiosk_id LIKE :p GROUP BY turn_id"
                    " HAVING count(*) > 1) d"
                ),
                {"p": generated_prefix + "%"},
            ).scalar_one()
    finally:
        engine.dispose()
    dispatch_counts = Counter(stats.dispatched)
    return {
        "lost": len(stats.acked - stored),
        "duplicated": int(rows) - len(stored) + int(twice_in_queue),
        "double_dispatched": sum(1 for c in dispatch_counts.values() if c > 1),
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run_bench(args: argparse.Namespace) -> int:
    from kiosk.central.db import is_sqlite

    workdir = Path(tempfile.mkdtemp(prefix="central-bench-"))
    schema = ""
    if args.db is None:
        db_url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        db_url = args.db
        if not is_sqlite(db_url):  # a fresh schema, dropped at the end: never touch real data
            schema = f"bench_{secrets.token_hex(4)}"
            admin_engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
            with admin_engine.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            admin_engine.dispose()
            db_url = (
                make_url(db_url)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
    backend = "sqlite" if is_sqlite(db_url) else "postgresql"
    workers = args.workers or (1 if backend == "sqlite" else 2)
    admin = secrets.token_urlsafe(16)
    proc, base = _start_server(db_url, workdir, admin, workers)
    out = sys.stdout
    try:
        with httpx.Client(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {admin}"}
        ) as http:

            def enrol(prefix: str) -> list[tuple[str, str, str]]:
                ks = []
                for i in range(args.kiosks):
                    agency = AGENCIES[i % len(AGENCIES)]
                    kid = f"{prefix}{i:03d}"
                    r = http.post(
                        "/api/v1/kiosks/enrol", json={"kiosk_id": kid, "agency_id": agency}
                    )
                    r.raise_for_status()
                    ks.append((kid, r.json()["credential"], agency))
                return ks

            main_kiosks, base_kiosks, paced_kiosks = enrol("bk-"), enrol("bb-"), enrol("bp-")
        print(
            f"central bench: {backend}, {workers} uvicorn worker(s), {args.kiosks} kiosks "
            f"(batches of {args.batch}), {args.counters} counters, {args.seconds:.0f} s",
            file=out,
            flush=True,
        )
        stats, wall = _phase(base, admin, main_kiosks, args.counters, args.batch, args.seconds)
        base_seconds = max(2.0, args.seconds / 2)
        bstats, bwall = _phase(base, admin, base_kiosks, args.counters, 1, base_seconds)
        # latency at a steady offered load (each kiosk: 2 check-ins a second), not saturation
        pstats, _ = _phase(base, admin, paced_kiosks, args.counters, 2, base_seconds, pace=1.0)
        checks = _verify(db_url, stats, "bk-")
        bchecks = _verify(db_url, bstats, "bb-")
        pchecks = _verify(db_url, pstats, "bp-")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        if schema:
            admin_engine = create_engine(args.db, isolation_level="AUTOCOMMIT")
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin_engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)

    rate = stats.accepted / wall
    brate = bstats.accepted / bwall
    result = {
        "backend": backend,
        "checkins_per_s": round(rate, 1),
        "p50_ms": round(_pct(stats.latencies, 0.5), 1),
        "p99_ms": round(_pct(stats.latencies, 0.99), 1),
        "lost": checks["lost"] + bchecks["lost"] + pchecks["lost"],
        "duplicated": checks["duplicated"] + bchecks["duplicated"] + pchecks["duplicated"],
        "double_dispatched": checks["double_dispatched"]
        + bchecks["double_dispatched"]
        + pchecks["double_dispatched"],
        "baseline_checkins_per_s": round(brate, 1),
        "baseline_p50_ms": round(_pct(bstats.latencies, 0.5), 1),
        "baseline_p99_ms": round(_pct(bstats.latencies, 0.99), 1),
        "steady_load_checkins_per_s": 2 * args.kiosks,
        "steady_p50_ms": round(_pct(pstats.latencies, 0.5), 1),
        "steady_p99_ms": round(_pct(pstats.latencies, 0.99), 1),
        "sync_requests": len(stats.latencies),
        "dispatched": len(stats.dispatched) + len(bstats.dispatched) + len(pstats.dispatched),
        "http_errors": stats.errors + bstats.errors + pstats.errors,
        "workers": workers,
        "batch": args.batch,
    }
    target = " (target ≥ 1000 on PostgreSQL)" if backend == "postgresql" else ""
    print(
        f"check-ins/s      {rate:8.0f}{target}   baseline one event per request: {brate:6.0f}",
        file=out,
    )
    print(
        f"sync latency     p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms"
        f"   baseline p50 {result['baseline_p50_ms']:.1f} ms  p99 "
        f"{result['baseline_p99_ms']:.1f} ms   (saturated: kiosks send back to back, so this"
        " is mostly queueing)",
        file=out,
    )
    print(
        f"steady load      {2 * args.kiosks} check-ins/s offered (2 per kiosk per second): "
        f"p50 {result['steady_p50_ms']:.1f} ms  p99 {result['steady_p99_ms']:.1f} ms",
        file=out,
    )
    print(f"counters         {result['dispatched']} tickets called", file=out)
    print(
        f"lost {result['lost']}   duplicated {result['duplicated']}   double-dispatched "
        f"{result['double_dispatched']}   (all must be 0)   http errors {result['http_errors']}",
        file=out,
    )
    if args.json:
        print(json.dumps(result), file=out)
    out.flush()
    ok = result["lost"] == result["duplicated"] == result["double_dispatched"] == 0
    return 0 if ok else 1
