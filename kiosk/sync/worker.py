"""The outbox worker: drains the kiosk store to the central queue service.

Exactly-once comes from two halves: the kiosk retries every event until the central answers for
it (at-least-once, with the retry schedule persisted in the outbox so it survives restarts), and
the central de-duplicates on event_id. So every failure mode here resolves to "retry later".
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.domain.ports import Clock, SyncHealth
from kiosk.store import (
    DocumentUnreadableError,
    KioskStore,
    PendingDocument,
    PendingEvent,
    StoreError,
)
from kiosk.store.vault import atomic_write
from kiosk.sync.client import (
    CentralAuthError,
    CentralClient,
    CentralRejected,
    CentralUnavailable,
)

log = logging.getLogger("kiosk.sync")

TRUST_LIST_FILE = "trust-list.json"


@dataclass(frozen=True)
class DrainReport:
    """What one run_once did (counts only: safe to log)."""

    sent: int = 0
    acked: int = 0
    conflicts: int = 0
    dead: int = 0
    retried: int = 0
    uploaded: int = 0
    purged: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Tally:
    acked: int = 0
    conflicts: int = 0
    dead: int = 0
    retried: int = 0


class SyncWorker:
    """Drains the outbox in batches; optionally in a background thread (start/stop/wake)."""

    def __init__(
        self,
        store: KioskStore,
        client: CentralClient,
        clock: Clock,
        *,
        batch_size: int = 100,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        rng: random.Random | None = None,
        poll_interval: float = 5.0,
        heartbeat_interval: float = 60.0,
        trust_list_interval: float = 3600.0,
        trust_list_path: Path | None = None,
        document_batch: int = 20,
        upload_concurrency: int = 4,
        status_provider: Callable[[], Mapping[str, str]] | None = None,
        version: str = "",
    ) -> None:
        if not 1 <= batch_size <= 500:
            raise ValueError("batch_size must be within 1..500 (the central's limit)")
        self._store = store
        self._client = client
        self._clock = clock
        self._batch_size = batch_size
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._rng = rng if rng is not None else random.Random()
        self._poll_interval = poll_interval
        self._heartbeat_interval = heartbeat_interval
        self._trust_interval = trust_list_interval
        self.trust_list_path = trust_list_path or store.data_dir / TRUST_LIST_FILE
        self._document_batch = document_batch
        self._upload_concurrency = max(1, upload_concurrency)
        self._status_provider = status_provider
        self._version = version

        self._run_lock = threading.Lock()  # one drain at a time (thread + "force sync" button)
        self._state_lock = threading.Lock()
        self._online = False
        self._last_success: datetime | None = None
        self._last_error: str | None = None
        self._failures = 0  # consecutive unavailable rounds, for the loop's own backoff
        self._more_due = False
        self._clock_drift: float | None = None
        self._next_heartbeat = 0.0  # monotonic; 0 = at the first chance
        self._next_trust = 0.0

        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._uploads_halted = threading.Event()
        self._wake = threading.Event()

    # ------------------------------------------------------------ health

    def health(self) -> SyncHealth:
        with self._state_lock:
            online, last_success, last_error = self._online, self._last_success, self._last_error
        try:
            backlog = self._store.backlog()
        except StoreError:
            backlog = -1  # the diagnostics screen shows the store error separately
        return SyncHealth(online, backlog, last_success, last_error)

    @property
    def clock_drift(self) -> float | None:
        """Seconds the kiosk clock is ahead of the central's (from the last heartbeat)."""
        return self._clock_drift

    def _succeeded(self) -> None:
        with self._state_lock:
            self._online = True
            self._last_success = self._clock.now()
            self._last_error = None
            self._failures = 0

    def _failed(self, message: str, *, offline: bool = True) -> None:
        with self._state_lock:
            if offline:
                self._online = False
                self._failures += 1
            self._last_error = message[:300]

    # ------------------------------------------------------------ backoff

    def backoff(self, attempts: int) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2**attempts)] (AWS architecture blog),
        so a fleet of kiosks coming back online does not hammer the central in lockstep."""
        cap = min(self._max_delay, self._base_delay * (2 ** min(attempts, 32)))
        return self._rng.uniform(0.0, cap)

    # ------------------------------------------------------------ one drain

    def run_once(self) -> DrainReport:
        """Send one batch of due events, then upload pending documents, then purge confirmed
        documents. Never raises for central failures; StoreError propagates."""
        with self._run_lock:
            return self._run_once()

    def _run_once(self) -> DrainReport:
        now = self._clock.now()
        if self._store.clamp_schedule(now + timedelta(seconds=self._max_delay)):
            log.warning("sync: retry schedule was beyond the backoff cap; clock stepped back?")
        events = self._store.due_events(self._batch_size, now)
        tally = _Tally()
        error: str | None = None
        if events:
            error = self._send(events, tally)
            self._more_due = error is None and len(events) >= self._batch_size
        else:
            self._more_due = False
        uploaded = 0
        if error is None:
            uploaded, error = self._upload_documents()
            # a full batch of documents means there may be more: go on without sleeping
            self._more_due = self._more_due or (error is None and uploaded >= self._document_batch)
        purged = self._store.purge_documents(self._clock.now())
        if purged or (events and error is None):
            self._store.prune_records(self._clock.now())
        if error is None and (events or uploaded):
            self._succeeded()
        report = DrainReport(
            sent=len(events),
            acked=tally.acked,
            conflicts=tally.conflicts,
            dead=tally.dead,
            retried=tally.retried,
            uploaded=uploaded,
            purged=purged,
            error=error,
        )
        if events or uploaded or error:
            log.info(
                "sync: sent %d acked %d conflicts %d dead %d retried %d uploaded %d%s",
                report.sent, report.acked, report.conflicts, report.dead, report.retried,
                report.uploaded, f" error: {error}" if error else "",
            )  # fmt: skip
        return report

    def _retry(self, events: Sequence[PendingEvent], error: str, tally: _Tally) -> None:
        attempts = max(e.attempts for e in events)
        when = self._clock.now() + timedelta(seconds=self.backoff(attempts))
        self._store.mark_retry([e.event_id for e in events], error, when)
        tally.retried += len(events)

    def _send(self, events: Sequence[PendingEvent], tally: _Tally) -> str | None:
        """Send events; returns an error message if the central was unavailable."""
        try:
            results = self._client.sync([e.to_wire() for e in events])
        except CentralAuthError as exc:
            message = f"central refused the kiosk credential (HTTP {exc.status_code})"
            self._retry(events, message, tally)
            self._failed(message)
            return message
        except CentralUnavailable as exc:
            message = f"central unavailable: {exc}"
            self._retry(events, message, tally)
            self._failed(message)
            return message
        except CentralRejected as exc:
            # the whole request was refused (malformed envelope, too large): split it to find
            # the culprit instead of declaring innocent events dead
            if len(events) == 1:
                self._store.mark_dead(events[0].event_id, f"HTTP {exc.status_code}: {exc.message}")
                tally.dead += 1
                return None
            mid = len(events) // 2
            error = self._send(events[:mid], tally)
            if error is not None:  # went offline half-way: the rest waits its turn too
                self._retry(events[mid:], error, tally)
                return error
            return self._send(events[mid:], tally)

        by_id = {r.event_id: r for r in results}
        acked: dict[str, list[str]] = {"accepted": [], "duplicate": [], "conflict": []}
        unanswered: list[PendingEvent] = []
        for event in events:
            result = by_id.get(event.event_id)
            if result is None:
                unanswered.append(event)
            elif result.status == "rejected":
                self._store.mark_dead(event.event_id, result.detail or "rejected by central")
                tally.dead += 1
            else:
                if result.status == "conflict":
                    # the central holds the ticket for staff; the kiosk keeps a record too
                    self._store.record_conflict(
                        event.event_id, result.detail or "conflict flagged by central"
                    )
                    tally.conflicts += 1
                acked[result.status].append(event.event_id)
        for status, ids in acked.items():
            if ids:
                self._store.mark_acked(ids, status=status)  # type: ignore[arg-type]
                tally.acked += len(ids)
        if unanswered:
            self._retry(unanswered, "central did not answer for this event", tally)
        return None

    def _upload_documents(self) -> tuple[int, str | None]:
        """Upload one batch of pending documents, a few at a time (uploads are latency-bound)."""
        docs = self._store.pending_documents(self._document_batch)
        if not docs or self._stop.is_set():
            return 0, None
        self._uploads_halted.clear()
        if self._upload_concurrency == 1 or len(docs) == 1:
            outcomes = [self._upload_one(d) for d in docs]
        else:
            workers = min(self._upload_concurrency, len(docs))
            with ThreadPoolExecutor(workers, thread_name_prefix="kiosk-upload") as pool:
                outcomes = list(pool.map(self._upload_one, docs))
        errors = [o for o in outcomes if isinstance(o, str)]
        if errors:
            self._failed(errors[0])
        return sum(o is True for o in outcomes), (errors[0] if errors else None)

    def _upload_one(self, doc: PendingDocument) -> bool | str:
        """True if uploaded, False if given up on (flagged for staff), or the error message
        when the central is unavailable (to retry later)."""
        if self._uploads_halted.is_set() or self._stop.is_set():
            return False  # the central just failed, or we are stopping: not now
        try:
            data = self._store.read_document(doc.document_id)
        except DocumentUnreadableError as exc:
            log.error("sync: document %s unreadable, not uploaded", doc.document_id)
            self._store.mark_document_failed(doc.document_id, str(exc))
            return False
        try:
            self._client.upload_document(
                doc.document_id,
                data,
                doc.content_type,
                doc.sha256,
                doc.ticket_id,
                doc.requirement_id,
            )
        except CentralAuthError as exc:
            self._uploads_halted.set()
            return f"central refused the kiosk credential (HTTP {exc.status_code})"
        except CentralUnavailable as exc:
            self._uploads_halted.set()  # don't queue up one timeout per remaining document
            return f"central unavailable: {exc}"
        except CentralRejected as exc:
            self._store.mark_document_failed(
                doc.document_id, f"HTTP {exc.status_code}: {exc.message}"
            )
            return False
        self._store.mark_document_uploaded(doc.document_id)
        return True

    # ------------------------------------------------------------ trust list and heartbeat

    def refresh_trust_list(self) -> bool:
        """Fetch the trust list into the cache file (atomic). False if the central is away."""
        try:
            trust = self._client.trust_list()
        except (CentralUnavailable, CentralRejected) as exc:
            log.info("sync: trust list not refreshed: %s", exc)  # offline is normal
            return False
        data = json.dumps(trust, indent=1, sort_keys=True).encode()
        atomic_write(self.trust_list_path, data, mode=0o644)
        log.info("sync: trust list refreshed (%d key(s))", len(trust["keys"]))
        return True

    def heartbeat_payload(self) -> dict[str, Any]:
        status = dict(self._status_provider()) if self._status_provider else {}
        return {
            "version": self._version,
            "clock": self._clock.now().isoformat(),
            "backlog": self._store.backlog(),
            "printer": status.get("printer", "unknown"),
            "camera": status.get("camera", "unknown"),
            "tickets_not_printed": len(self._store.tickets_not_printed()),
            "last_sync_error": self._last_error,
        }

    def send_heartbeat(self) -> bool:
        payload = self.heartbeat_payload()
        try:
            reply = self._client.heartbeat(payload)
        except (CentralUnavailable, CentralRejected) as exc:
            log.info("sync: heartbeat failed: %s", exc)
            self._failed(f"heartbeat failed: {exc}")
            return False
        with self._state_lock:
            self._online = True
        server_time = reply.get("server_time")
        if isinstance(server_time, str):
            try:
                server = datetime.fromisoformat(server_time)
                if server.tzinfo is not None:
                    local = datetime.fromisoformat(payload["clock"])
                    self._clock_drift = (local - server).total_seconds()
            except ValueError:
                pass
        return True

    def _maintenance(self) -> None:
        mono = self._clock.monotonic()
        if mono >= self._next_trust:
            ok = self.refresh_trust_list()
            self._next_trust = mono + (
                self._trust_interval if ok else min(60.0, self._trust_interval)
            )
        if mono >= self._next_heartbeat:
            self.send_heartbeat()
            self._next_heartbeat = mono + self._heartbeat_interval

    # ------------------------------------------------------------ background thread

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("sync worker already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="kiosk-sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Drain now (e.g. right after a visit completed, or the technician's "force sync")."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread and wait for it; an in-flight request finishes (bounded by the
        client's timeout) and its outcome is recorded before the thread ends."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError("sync worker thread did not stop in time")

    def ticket_status(self, ticket_id: str) -> dict[str, Any] | None:
        """The central's view of one ticket, or None when it cannot say right now."""
        try:
            return self._client.ticket_status(ticket_id)
        except (CentralUnavailable, CentralRejected):
            return None

    def close(self) -> None:
        """Stop the thread and close the HTTP client (the worker owns it from then on)."""
        self.stop()
        self._client.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
                if not self._stop.is_set():
                    self._maintenance()
            except Exception as exc:  # the thread must survive: log (no data), wait, retry
                log.error("sync: drain failed: %s", type(exc).__name__)
                self._failed(f"internal error: {type(exc).__name__}", offline=False)
            self._wake.wait(self._next_wait())
            self._wake.clear()

    def _next_wait(self) -> float:
        if self._stop.is_set():
            return 0.0
        if self._more_due:
            return 0.0
        with self._state_lock:
            failures = self._failures
        # offline: back off as a whole too (documents and heartbeats have no per-row schedule);
        # online: poll now and then in case a visit was written without a wake()
        wait = max(self.backoff(failures), 0.05) if failures else self._poll_interval
        try:
            due = self._store.next_due_at()
        except StoreError:
            due = None
        if due is not None:
            wait = min(wait, max((due - self._clock.now()).total_seconds(), 0.0))
        mono = self._clock.monotonic()
        wait = min(wait, max(0.0, self._next_heartbeat - mono), max(0.0, self._next_trust - mono))
        return max(wait, 0.0)


def load_trust_list(path: Path) -> dict[str, Any] | None:
    """The cached trust list, or None if there is none yet or it is unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("keys"), list) else None
