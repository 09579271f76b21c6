"""Demo mode: a local central queue, a freshly booked online turn, and simulated camera media.

Everything goes through the real code paths: the central service is the real `kiosk-central`
process on loopback with SQLite, the turn confirmation is really signed and verified offline, and
the simulated camera plays video files through OpenCV's VideoCapture. Only the citizen is fake.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from kiosk.central.process import read_listening_url, serve_command

log = logging.getLogger("kiosk.demo")

# A fictitious but valid cédula (province 17, check digit correct). The demo banner tells the
# visitor its last four digits, which the kiosk asks for to confirm the turn.
DEMO_ID_NUMBER = "1710034065"
DEMO_TRAMITE = "codigo-extranjeros"
SCENES = ("turn_phone", "turn_paper", "id_card", "letter", "passport")


@dataclass
class DemoCentral:
    url: str
    admin_token: str
    credential: str
    turn_token: str
    media: dict[str, Path]


class DemoEnvironment:
    """Starts in the background so the home screen appears at once; `ready` tells when done."""

    def __init__(self, data_dir: Path, *, agency_id: str, kiosk_id: str, now: datetime) -> None:
        self.data_dir = data_dir
        self.agency_id = agency_id
        self.kiosk_id = kiosk_id
        self.now = now
        self.ready = threading.Event()
        self.error: str | None = None
        self.central: DemoCentral | None = None
        self._process: subprocess.Popen[str] | None = None
        self._thread: threading.Thread | None = None
        self._listeners: list[Any] = []

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="demo-setup", daemon=True)
        self._thread.start()

    def on_ready(self, callback: Any) -> None:
        self._listeners.append(callback)
        if self.ready.is_set():
            callback(self)

    def wait(self, timeout: float = 60.0) -> DemoCentral:
        if not self.ready.wait(timeout):
            raise TimeoutError("the demo environment did not start in time")
        if self.central is None:
            raise RuntimeError(f"the demo environment failed: {self.error}")
        return self.central

    def _run(self) -> None:
        try:
            self.central = self._start_central()
        except Exception as exc:  # the demo must say why it cannot run, not hang
            log.exception("demo environment failed")
            self.error = str(exc)
        finally:
            self.ready.set()
            for callback in list(self._listeners):
                callback(self)

    def _start_central(self) -> DemoCentral:
        root = self.data_dir / "demo-central"
        root.mkdir(parents=True, exist_ok=True)
        admin = secrets.token_urlsafe(16)
        cmd = serve_command(f"sqlite:///{root / 'central.db'}", root / "keys", admin)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._process = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        assert self._process.stdout is not None
        url = read_listening_url(self._process.stdout)
        if not url:
            raise RuntimeError("kiosk-central did not start (no 'listening on' line)")
        # keep draining stdout so the server never blocks on a full pipe
        threading.Thread(target=self._drain, daemon=True, name="demo-central-out").start()
        headers = {"Authorization": f"Bearer {admin}"}
        with httpx.Client(base_url=url, timeout=10.0) as http:
            enrol = http.post(
                "/api/v1/kiosks/enrol",
                json={"kiosk_id": self.kiosk_id, "agency_id": self.agency_id},
                headers=headers,
            )
            enrol.raise_for_status()
            credential = enrol.json()["credential"]
            slot = (self.now + timedelta(minutes=10)).replace(second=0, microsecond=0)
            booked = http.post(
                "/api/v1/turns",
                json={
                    "agency_id": self.agency_id,
                    "tramite_id": DEMO_TRAMITE,
                    "slot_start": slot.isoformat(),
                    "id_number": DEMO_ID_NUMBER,
                    "email": "demo@example.invalid",
                    "mobile": "0990000000",
                    "province": "Pichincha",
                },
                headers=headers,
            )
            booked.raise_for_status()
            token = booked.json()["token"]
        from kiosk.scanning import render_demo_media

        media = render_demo_media(self.data_dir / "demo-media", turn_qr_text=token)
        log.info("demo environment ready: central at %s", url)
        return DemoCentral(url, admin, credential, token, media)

    def _drain(self) -> None:
        process = self._process
        if process is not None and process.stdout is not None:
            for _ in process.stdout:
                pass

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


class DemoSceneSource:
    """The simulated camera: one looping demo video per scene, played through OpenCV's
    VideoCapture (kiosk.scanning.camera.FileSource); `select()` switches the scene the way a
    citizen would swap the paper under a real camera."""

    def __init__(self, env: DemoEnvironment, scene: str = "turn_phone") -> None:
        self._env = env
        self._lock = threading.Lock()
        self._scene = scene
        self._sources: dict[str, Any] = {}
        self._current: Any = None
        self._current_scene = ""

    def select(self, scene: str) -> None:
        if scene not in SCENES:
            raise ValueError(f"unknown demo scene {scene!r}")
        with self._lock:
            self._scene = scene

    @property
    def fps(self) -> float:
        return 15.0

    def describe(self) -> str:
        return f"demo camera ({self._scene})"

    def open(self) -> None:
        # The media are rendered at start-up with today's signed turn: wait for them.
        self._env.wait(timeout=60.0)

    def _source(self) -> Any:
        from kiosk.scanning.camera import FileSource

        with self._lock:
            scene = self._scene
        if scene != self._current_scene:
            central = self._env.central
            assert central is not None
            if scene not in self._sources:
                source = FileSource(central.media[scene], loop=True)
                source.open()
                self._sources[scene] = source
            self._current, self._current_scene = self._sources[scene], scene
        return self._current

    def read(self) -> Any:
        return self._source().read()

    def release(self) -> None:
        for source in self._sources.values():
            source.release()
        self._sources.clear()
        self._current, self._current_scene = None, ""
