"""HTTP client of the central queue service (the kiosk side of the /api/v1 contract).

Errors are typed so the worker can decide: CentralUnavailable (network down, timeout, 5xx,
garbage reply) means "try again later"; CentralRejected (4xx) means "the central read the request
and refused it". Error messages carry HTTP statuses and the central's detail, never payloads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

API = "/api/v1"
MAX_EVENTS_PER_REQUEST = 500
_DETAIL_CHARS = 200

EventStatus = Literal["accepted", "duplicate", "conflict", "rejected"]
_STATUSES: frozenset[str] = frozenset({"accepted", "duplicate", "conflict", "rejected"})


class CentralError(Exception):
    """Base of the errors talking to the central queue service."""


class CentralUnavailable(CentralError):  # noqa: N818 - name fixed by the kiosk/central contract
    """The central could not be reached or did not answer usefully; retry later."""


class CentralRejected(CentralError):  # noqa: N818
    """The central answered 4xx: it understood the request and refused it."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"HTTP {status_code}: {message}")
        self.status_code = status_code
        self.message = message


class CentralAuthError(CentralRejected):
    """401/403: the kiosk is not (or no longer) enrolled. Retrying the same data later is right;
    declaring events dead is not."""


@dataclass(frozen=True)
class EventResult:
    event_id: str
    status: EventStatus
    detail: str | None = None


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:_DETAIL_CHARS] or response.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        return (detail if isinstance(detail, str) else repr(detail))[:_DETAIL_CHARS]
    return str(body)[:_DETAIL_CHARS]


class CentralClient:
    """One kiosk's authenticated connection to the central service. Thread-safe (httpx.Client)."""

    def __init__(
        self,
        base_url: str,
        kiosk_id: str,
        credential: str,
        *,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.kiosk_id = kiosk_id
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"X-Kiosk-Id": kiosk_id, "Authorization": f"Bearer {credential}"},
            timeout=timeout,
            transport=transport,
            # a kiosk talks to exactly one configured central: no environment proxies surprising
            # a technician, and no redirects to somewhere else with our credential
            trust_env=False,
            follow_redirects=False,
        )

    def __repr__(self) -> str:  # never show the credential
        return f"CentralClient({self.base_url!r}, kiosk={self.kiosk_id!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ transport

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, API + path, **kwargs)
        except httpx.TimeoutException as exc:
            raise CentralUnavailable(f"{method} {path}: timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise CentralUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        code = response.status_code
        if code >= 500 or code in (408, 429):
            raise CentralUnavailable(f"{method} {path}: HTTP {code} {_detail(response)}")
        if code in (401, 403):
            raise CentralAuthError(code, _detail(response))
        if code >= 400:
            raise CentralRejected(code, _detail(response))
        if code >= 300:
            raise CentralUnavailable(f"{method} {path}: unexpected HTTP {code}")
        return response

    def _json(self, response: httpx.Response, path: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise CentralUnavailable(f"{path}: the central sent a reply that is not a JSON object")
        return body

    # ------------------------------------------------------------ API

    def sync(self, events: Sequence[Mapping[str, Any]]) -> list[EventResult]:
        """POST a batch of outbox events; one result per event, in request order."""
        if len(events) > MAX_EVENTS_PER_REQUEST:
            raise ValueError(f"at most {MAX_EVENTS_PER_REQUEST} events per request")
        body = self._json(self._request("POST", "/sync", json={"events": list(events)}), "/sync")
        raw = body.get("results")
        if not isinstance(raw, list):
            raise CentralUnavailable("/sync: reply without a results list")
        results: list[EventResult] = []
        for item in raw:
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("event_id"), str)
                or item.get("status") not in _STATUSES
            ):
                raise CentralUnavailable("/sync: malformed result in the reply")
            detail = item.get("detail")
            results.append(
                EventResult(
                    item["event_id"],
                    item["status"],
                    None if detail is None else str(detail)[:_DETAIL_CHARS],
                )
            )
        return results

    def upload_document(
        self,
        document_id: str,
        data: bytes,
        content_type: str,
        sha256: str,
        ticket_id: str,
        requirement_id: str,
    ) -> bool:
        """PUT one document's bytes. True if the central stored it now, False if it already
        had it (both mean it is safe to delete the local copy)."""
        response = self._request(
            "PUT",
            f"/documents/{document_id}",
            content=data,
            headers={
                "Content-Type": content_type,
                "X-Content-SHA256": sha256,
                "X-Ticket-Id": ticket_id,
                "X-Requirement-Id": requirement_id,
            },
        )
        return response.status_code == 201

    def trust_list(self) -> dict[str, Any]:
        body = self._json(self._request("GET", "/trust-list"), "/trust-list")
        if not isinstance(body.get("keys"), list):
            raise CentralUnavailable("/trust-list: reply without a keys list")
        return body

    def ticket_status(self, ticket_id: str, *, timeout: float = 1.5) -> dict[str, Any]:
        """Queue position and estimated wait of a synced ticket (for the receipt)."""
        path = f"/tickets/{ticket_id}/status"
        return self._json(self._request("GET", path, timeout=timeout), path)

    def heartbeat(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return self._json(self._request("POST", "/heartbeat", json=dict(payload)), "/heartbeat")
