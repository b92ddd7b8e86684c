"""A small typed client for the REST API (``openapi.json``): what the CLI, notebooks and scripts use.

It speaks HTTP only, so it works the same against ``make dev`` and a deployed stack. Errors come back
as :class:`ApiError` carrying the API's ``{"error": {"code", "message"}}``.

    >>> client = ComposerClient("http://127.0.0.1:8000", user="alice")
    >>> melody = client.upload_melody(Path("tune.mid").read_bytes(), name="tune")
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from shared.statuses import COMPOSITION_FINAL, TRAINING_FINAL

DEFAULT_PORT = 8000
AUDIO_MEDIA_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}


def default_api_url() -> str:
    """``COMPOSER_API_URL`` if set, else the local runtime on ``127.0.0.1:${PORT:-8000}``."""
    return os.environ.get("COMPOSER_API_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or DEFAULT_PORT}"


class ApiError(Exception):
    """A non-2xx answer, with the API's error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class ComposerClient:
    """One user's view of the API. ``user`` is the local runtime's stand-in; ``token`` a Cognito ID token."""

    def __init__(
        self, api_url: str | None = None, *, user: str | None = None, token: str | None = None, timeout: float = 60.0
    ) -> None:
        headers = {"Accept": "application/json"}
        bearer = token or user
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        self.api_url = (api_url or default_api_url()).rstrip("/")
        self._http = httpx.Client(base_url=self.api_url, headers=headers, timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ComposerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError(0, "UNREACHABLE", f"Cannot reach {self.api_url}: {exc}. Is `make dev` running?") from exc
        if response.status_code >= 400:
            code, message = "HTTP_ERROR", response.text[:500]
            try:
                body = response.json()
                detail = body.get("error") if isinstance(body, dict) else None
                if isinstance(detail, dict):
                    code, message = detail.get("code", code), detail.get("message", message)
                elif isinstance(body, dict) and "message" in body:
                    message = str(body["message"])
            except ValueError:
                pass
            raise ApiError(response.status_code, code, message)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    def _all(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, following ``nextToken``."""
        query = dict(params or {})
        while True:
            page = self._json("GET", path, params=query)
            yield from page.get("items", [])
            token = page.get("nextToken")
            if not token:
                return
            query["nextToken"] = token

    # --- resources -----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._json("GET", "/health")

    def upload_melody(self, midi: bytes, name: str) -> dict[str, Any]:
        return self._json("POST", "/melodies", json={"name": name, "midi": base64.b64encode(midi).decode("ascii")})

    def melodies(self) -> list[dict[str, Any]]:
        return list(self._all("/melodies"))

    def melody_midi(self, melody_id: str) -> bytes:
        return self._request("GET", f"/melodies/{melody_id}/midi", headers={"Accept": "audio/midi"}).content

    def rename_melody(self, melody_id: str, name: str) -> dict[str, Any]:
        return self._json("PATCH", f"/melodies/{melody_id}", json={"name": name})

    def edit_melody_notes(self, melody_id: str, edit: dict[str, Any]) -> dict[str, Any]:
        """``edit`` is ``{notes: [...], tempo?, timeSignature?}``; answers the melody at its new version."""
        return self._json("PUT", f"/melodies/{melody_id}/notes", json=edit)

    def melody_from_composition(self, composition_id: str, track: int, name: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"fromComposition": composition_id, "track": track}
        if name:
            body["name"] = name
        return self._json("POST", "/melodies", json=body)

    def delete_melody(self, melody_id: str) -> None:
        self._request("DELETE", f"/melodies/{melody_id}")

    def models(self) -> list[dict[str, Any]]:
        return list(self._all("/models"))

    def model(self, model_id: str) -> dict[str, Any]:
        return self._json("GET", f"/models/{model_id}")

    def model_types(self) -> list[dict[str, Any]]:
        return self._json("GET", "/model-types").get("items", [])

    def compose(
        self, melody_id: str, model_id: str, seed: int | None = None, parameters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"melodyId": melody_id, "modelId": model_id}
        if seed is not None:
            body["seed"] = seed
        if parameters:
            body["parameters"] = parameters
        return self._json("POST", "/compositions", json=body)

    def composition(self, composition_id: str) -> dict[str, Any]:
        return self._json("GET", f"/compositions/{composition_id}")

    def compositions(self) -> list[dict[str, Any]]:
        return list(self._all("/compositions"))

    def rename_composition(self, composition_id: str, name: str) -> dict[str, Any]:
        return self._json("PATCH", f"/compositions/{composition_id}", json={"name": name})

    def delete_composition(self, composition_id: str) -> None:
        self._request("DELETE", f"/compositions/{composition_id}")

    def share(self, composition_id: str) -> dict[str, Any]:
        """``{token, url}``: the active link (the same one until revoked)."""
        return self._json("POST", f"/compositions/{composition_id}/share")

    def unshare(self, composition_id: str) -> None:
        self._request("DELETE", f"/compositions/{composition_id}/share")

    def shared(self, token: str) -> dict[str, Any]:
        """A share link's summary; needs no sign-in."""
        return self._json("GET", f"/shared/{token}")

    def composition_midi(self, composition_id: str) -> bytes:
        return self._request("GET", f"/compositions/{composition_id}/midi", headers={"Accept": "audio/midi"}).content

    def composition_audio(self, composition_id: str, fmt: str = "wav") -> bytes:
        """The composition as WAV or MP3; a file too large for an inline answer comes through the
        presigned redirect the API gives (httpx drops the Authorization header on the way to S3)."""
        return self._audio(f"/compositions/{composition_id}/audio", fmt)

    def melody_audio(self, melody_id: str, fmt: str = "wav") -> bytes:
        return self._audio(f"/melodies/{melody_id}/audio", fmt)

    def _audio(self, path: str, fmt: str) -> bytes:
        accept = AUDIO_MEDIA_TYPES.get(fmt, "application/octet-stream")  # API Gateway returns bytes for these
        return self._request("GET", path, params={"format": fmt}, headers={"Accept": accept}).content

    def pianoroll(self, composition_id: str, scale: int = 1) -> bytes:
        return self._request(
            "GET",
            f"/compositions/{composition_id}/pianoroll.png",
            params={"scale": scale},
            headers={"Accept": "image/png"},
        ).content

    def start_training(
        self, model_name: str, tags: list[str], hyperparameters: dict[str, Any], model_type: str = "gan"
    ) -> dict[str, Any]:
        body = {
            "modelName": model_name,
            "modelType": model_type,
            "dataset": {"tags": tags},
            "hyperparameters": hyperparameters,
        }
        return self._json("POST", "/training-jobs", json=body)

    def training_jobs(self) -> list[dict[str, Any]]:
        return list(self._all("/training-jobs"))

    def training_job(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/training-jobs/{job_id}")

    def stop_training(self, job_id: str) -> dict[str, Any]:
        return self._json("POST", f"/training-jobs/{job_id}/stop")

    def training_samples(self, job_id: str) -> list[dict[str, Any]]:
        """``[{epoch, createdAt, midi}]``: ``midi`` is the path of the epoch's sample under the API URL."""
        return self._json("GET", f"/training-jobs/{job_id}/samples").get("items", [])

    def training_sample(self, job_id: str, epoch: int) -> bytes:
        return self._request(
            "GET", f"/training-jobs/{job_id}/samples/{epoch}", headers={"Accept": "audio/midi"}
        ).content

    def training_chart(self, job_id: str, scale: int = 1) -> bytes:
        return self._request(
            "GET", f"/training-jobs/{job_id}/chart.png", params={"scale": scale}, headers={"Accept": "image/png"}
        ).content

    def datasets(self) -> list[dict[str, Any]]:
        return self._json("GET", "/datasets").get("items", [])

    # --- polling -------------------------------------------------------------------------------

    def wait_composition(
        self,
        composition_id: str,
        *,
        poll_seconds: float = 1.0,
        timeout: float = 600,
        on_update: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll until COMPLETED or FAILED (returned either way; the caller decides what failure means)."""
        return self._wait(lambda: self.composition(composition_id), COMPOSITION_FINAL, poll_seconds, timeout, on_update)

    def wait_training(
        self,
        job_id: str,
        *,
        poll_seconds: float = 2.0,
        timeout: float = 24 * 3600,
        on_update: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll until COMPLETED, FAILED or STOPPED."""
        return self._wait(lambda: self.training_job(job_id), TRAINING_FINAL, poll_seconds, timeout, on_update)

    @staticmethod
    def _wait(
        fetch: Callable[[], dict[str, Any]],
        final: frozenset,
        poll_seconds: float,
        timeout: float,
        on_update: Callable[[dict[str, Any]], None] | None,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            record = fetch()
            if on_update is not None:
                on_update(record)
            if record.get("status") in final:
                return record
            if time.monotonic() > deadline:
                raise TimeoutError(f"Still {record.get('status')} after {timeout:.0f}s")
            time.sleep(poll_seconds)
