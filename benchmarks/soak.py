"""Soak: hundreds of compositions and a few tiny training jobs through the local HTTP API at once.

Starts the local runtime the way a user does (``python -m local.runtime``, what ``make dev`` runs)
on a free loopback port, or uses ``--url`` of one already running, then drives it over HTTP only
with a bounded thread pool and a total time cap. It checks what must hold however slow the machine:

- every composition ends COMPLETED or FAILED with a reason; every training job COMPLETED, FAILED
  with a reason, or STOPPED;
- no lost record and no duplicate: each user's paginated lists hold exactly what they submitted,
  each once, and nobody else's;
- no status ever observed going backwards (each observed move must be reachable in
  ``shared.statuses``);
- no 5xx answer and no transport error.

It prints a table and, last, one JSON line with the figures; the exit code is 1 if a check failed.

    .venv/bin/python -m benchmarks.soak --compositions 200 --training-jobs 10
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import re
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

import httpx

from local.launcher import RuntimeStartError, launched
from shared.statuses import COMPOSITION_FINAL, TRAINING_FINAL, CompositionStatus, TrainingStatus, can_move

SAMPLE_MELODY = "sample-ode-to-joy"
SHIPPED_MODEL = "bach-chorales"
TINY = {"epochs": 1, "width": 4, "batchSize": 8, "maxWindows": 16, "updateRatio": 1, "startFrom": "scratch"}
LONG = {"epochs": 500, "width": 4, "batchSize": 8, "maxWindows": 16, "updateRatio": 1, "startFrom": "scratch"}


def reachable(kind: type[StrEnum], start: str, end: str) -> bool:
    """Whether ``end`` can follow ``start`` through zero or more allowed moves (polls skip states)."""
    seen, todo = {start}, [start]
    while todo:
        current = todo.pop()
        if current == end:
            return True
        for candidate in kind:
            if candidate.value not in seen and can_move(kind(current), candidate):
                seen.add(candidate.value)
                todo.append(candidate.value)
    return False


@dataclass
class Tracked:
    kind: str  # "composition" or "training-job"
    user: str
    id: str
    submitted_at: float
    statuses: list[str] = field(default_factory=list)
    final: dict | None = None
    finished_at: float | None = None
    stop_requested: bool = False
    long: bool = False  # a training job meant to be stopped while it trains

    @property
    def path(self) -> str:
        return f"/{'compositions' if self.kind == 'composition' else 'training-jobs'}/{self.id}"

    @property
    def enum(self) -> type[StrEnum]:
        return CompositionStatus if self.kind == "composition" else TrainingStatus

    @property
    def finals(self) -> frozenset:
        return COMPOSITION_FINAL if self.kind == "composition" else TRAINING_FINAL

    def observe(self, record: dict, now: float) -> None:
        status = record["status"]
        if not self.statuses or self.statuses[-1] != status:
            self.statuses.append(status)
        if status in self.finals and self.final is None:
            self.final, self.finished_at = record, now


@dataclass
class Problems:
    items: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, text: str) -> None:
        with self.lock:
            if text not in self.items:  # a stuck record is polled many times: report it once
                self.items.append(text)


class Api:
    """A thread-safe HTTP client that records every answer's status and refuses to hide a 5xx."""

    def __init__(self, url: str, problems: Problems) -> None:
        self.client = httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(max_connections=64))
        self.problems = problems
        self.statuses: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.timeouts = 0  # client-side timeouts (retried with the same Idempotency-Key where safe)
        self.retries = 0
        self.transport_errors = 0  # connections refused or reset

    def request(self, method: str, path: str, user: str, retry: bool = False, **kwargs) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {user}", **kwargs.pop("headers", {})}
        try:
            response = self.client.request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            with self.lock:
                self.timeouts += 1
            if not retry:
                self.problems.add(f"{method} {path}: no answer in time {exc!r}")
            return None
        except httpx.HTTPError as exc:
            with self.lock:
                self.transport_errors += 1
            if not retry:
                self.problems.add(f"{method} {path}: transport error {exc!r}")
            return None
        with self.lock:
            self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.problems.add(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response


@contextmanager
def local_runtime(poll_seconds: int, data_args: tuple[str, ...] = ()) -> Iterator[str]:
    """``python -m local.runtime --port 0`` in a subprocess; yields its URL; Ctrl-C (SIGINT) to stop.

    ``data_args`` (e.g. ``("--in-memory",)``) choose its persistence; by default a fresh temporary data
    folder (the launcher's), so a run never touches the checkout's ``.composer/``.
    """
    env = {"LOCAL_POLL_SECONDS": str(poll_seconds), "LOG_LEVEL": "WARNING"}
    try:
        with launched(env, keep_lines=200, args=data_args) as running:
            yield running.url
    except RuntimeStartError as exc:
        raise SystemExit(str(exc)) from None


def pick_tag(api: Api, user: str) -> str:
    response = api.request("GET", "/datasets", user)
    assert response is not None and response.status_code == 200, "GET /datasets failed"
    body = response.json()
    trainable = [
        t
        for t in body["items"]
        if t["pieces"] - t["heldOutPieces"] >= body["minimumTrainingPieces"]
        and t["heldOutPieces"] >= body["minimumHeldOutPieces"]
    ]
    return min(trainable, key=lambda t: t["pieces"])["tag"]  # the smallest tag the API accepts


def post_idempotently(api: Api, path: str, user: str, body: dict, attempts: int = 5) -> httpx.Response | None:
    """POST with an Idempotency-Key, retried with the same key when the answer did not arrive (a
    client timeout under load) or the first try is still running: what a careful client does, and
    what the key guarantees cannot create a second record."""
    key = str(uuid.uuid4())
    response = None
    for attempt in range(attempts):
        response = api.request("POST", path, user, json=body, headers={"Idempotency-Key": key}, retry=True)
        if response is not None and response.status_code != 409:
            return response
        with api.lock:
            api.retries += 1
        time.sleep(2 * (attempt + 1))
    return response


def submit_composition(api: Api, user: str, index: int) -> Tracked | None:
    body = {"melodyId": SAMPLE_MELODY, "modelId": SHIPPED_MODEL, "seed": index}
    response = post_idempotently(api, "/compositions", user, body)
    if response is None or response.status_code != 202:
        api.problems.add(
            f"POST /compositions #{index}: {response and response.status_code} {response and response.text[:200]}"
        )
        return None
    tracked = Tracked("composition", user, response.json()["id"], time.monotonic())
    tracked.observe(response.json(), time.monotonic())
    return tracked


def submit_training(api: Api, user: str, index: int, tag: str, long: bool) -> Tracked | None:
    body = {
        "modelName": f"soak {index}",
        "dataset": {"tags": [tag]},
        "hyperparameters": {**(LONG if long else TINY), "seed": index},
    }
    response = post_idempotently(api, "/training-jobs", user, body)
    if response is None or response.status_code != 202:
        api.problems.add(
            f"POST /training-jobs #{index}: {response and response.status_code} {response and response.text[:200]}"
        )
        return None
    tracked = Tracked("training-job", user, response.json()["id"], time.monotonic(), long=long)
    tracked.observe(response.json(), time.monotonic())
    return tracked


def poll_until_final(
    api: Api,
    pool: concurrent.futures.Executor,
    tracked: list[Tracked],
    deadline: float,
    on_poll: Callable[[Tracked], None] | None = None,
) -> None:
    def fetch(item: Tracked) -> None:
        response = api.request("GET", item.path, item.user)
        if response is not None and response.status_code == 200:
            item.observe(response.json(), time.monotonic())
            if on_poll:
                on_poll(item)
        elif response is not None:
            api.problems.add(f"GET {item.path}: {response.status_code} {response.text[:200]}")

    while time.monotonic() < deadline:
        open_items = [t for t in tracked if t.final is None]
        if not open_items:
            return
        list(pool.map(fetch, open_items))
        time.sleep(1.0)


def listed_ids(api: Api, path: str, user: str) -> list[str]:
    ids, token = [], None
    while True:
        params = {"limit": "37", **({"nextToken": token} if token else {})}
        response = api.request("GET", path, user, params=params)
        if response is None or response.status_code != 200:
            api.problems.add(f"GET {path} as {user}: {response and response.status_code}")
            return ids
        page = response.json()
        ids += [item["id"] for item in page["items"] if not item.get("builtin")]
        token = page.get("nextToken")
        if not token:
            return ids


def verify(api: Api, tracked: list[Tracked], users: list[str], problems: Problems) -> None:
    for item in tracked:
        if item.final is None:
            problems.add(f"{item.kind} {item.id} never finished: {item.statuses}")
            continue
        status = item.final["status"]
        if status == "FAILED" and not (item.final.get("failureReason") or "").strip():
            problems.add(f"{item.kind} {item.id} FAILED without a reason")
        for before, after in zip(item.statuses, item.statuses[1:], strict=False):
            if not reachable(item.enum, before, after):
                problems.add(f"{item.kind} {item.id} went backwards: {item.statuses}")
        if item.kind == "composition" and status == "COMPLETED":
            midi = api.request("GET", f"{item.path}/midi", item.user)
            if midi is None or midi.status_code != 200 or not midi.content.startswith(b"MThd"):
                problems.add(f"composition {item.id} COMPLETED but its MIDI is not served")
    for kind, path in (("composition", "/compositions"), ("training-job", "/training-jobs")):
        for user in users:
            expected = sorted(t.id for t in tracked if t.kind == kind and t.user == user)
            got = listed_ids(api, path, user)
            if len(got) != len(set(got)):
                problems.add(f"{path} for {user} lists duplicates: {[i for i, n in Counter(got).items() if n > 1]}")
            if sorted(set(got)) != expected:
                lost, foreign = set(expected) - set(got), set(got) - set(expected)
                problems.add(f"{path} for {user}: lost {sorted(lost)[:5]} foreign {sorted(foreign)[:5]}")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def run(url: str, args: argparse.Namespace) -> dict:
    problems = Problems()
    api = Api(url, problems)
    users = [f"soak-user-{i:02d}" for i in range(args.users)]
    started = time.monotonic()
    deadline = started + args.time_cap
    tag = pick_tag(api, users[0])

    def on_poll(item: Tracked) -> None:
        """Stop each long job as soon as it has started."""
        if (
            item.long
            and not item.stop_requested
            and item.final is None
            and item.statuses[-1] in ("STARTING", "TRAINING")
        ):
            item.stop_requested = True
            response = api.request("POST", f"{item.path}/stop", item.user)
            if response is None or response.status_code not in (202, 409):
                problems.add(f"stop {item.id}: {response and response.status_code} {response and response.text[:200]}")

    with (
        concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool,
        concurrent.futures.ThreadPoolExecutor(max_workers=3) as job_pool,
    ):  # the watcher + two fetchers
        jobs = [
            pool.submit(submit_training, api, users[i % len(users)], i, tag, long=(i % args.stop_every == 0))
            for i in range(args.training_jobs)
        ]
        tracked_jobs = [t for f in jobs if (t := f.result()) is not None]
        # Training jobs are watched (and the long ones stopped) while the compositions pour in.
        job_watch = job_pool.submit(poll_until_final, api, job_pool, tracked_jobs, deadline, on_poll)
        compositions = [
            pool.submit(submit_composition, api, users[i % len(users)], i) for i in range(args.compositions)
        ]
        tracked_compositions = [t for f in compositions if (t := f.result()) is not None]
        submitted_in = time.monotonic() - started
        poll_until_final(api, pool, tracked_compositions, deadline)
        compositions_done_in = (
            max((t.finished_at or deadline) - started for t in tracked_compositions) if tracked_compositions else 0.0
        )
        job_watch.result()
        verify(api, tracked_compositions + tracked_jobs, users, problems)
    elapsed = time.monotonic() - started

    latencies = [t.finished_at - t.submitted_at for t in tracked_compositions if t.finished_at]
    job_seconds = [t.finished_at - t.submitted_at for t in tracked_jobs if t.finished_at]
    return {
        "compositions": {
            "submitted": args.compositions,
            "accepted": len(tracked_compositions),
            "final": dict(Counter(t.final["status"] for t in tracked_compositions if t.final)),
            "unfinished": sum(1 for t in tracked_compositions if t.final is None),
            "failureReasons": dict(
                Counter(
                    t.final.get("failureReason")
                    for t in tracked_compositions
                    if t.final and t.final["status"] == "FAILED"
                )
            ),
            "latencyP50": percentile(latencies, 0.5),
            "latencyP95": percentile(latencies, 0.95),
            "latencyMax": percentile(latencies, 1.0),
            "allDoneSeconds": round(compositions_done_in, 1),
            "perSecond": round(len(latencies) / compositions_done_in, 2) if compositions_done_in else None,
        },
        "trainingJobs": {
            "submitted": args.training_jobs,
            "accepted": len(tracked_jobs),
            "stopRequested": sum(1 for t in tracked_jobs if t.stop_requested),
            "final": dict(Counter(t.final["status"] for t in tracked_jobs if t.final)),
            "unfinished": sum(1 for t in tracked_jobs if t.final is None),
            "failureReasons": dict(
                Counter(
                    (t.final.get("failureReason") or "")[:120]
                    for t in tracked_jobs
                    if t.final and t.final["status"] == "FAILED"
                )
            ),
            "secondsP50": percentile(job_seconds, 0.5),
            "secondsMax": percentile(job_seconds, 1.0),
        },
        "http": {
            "requests": sum(api.statuses.values()),
            "statuses": {str(k): v for k, v in sorted(api.statuses.items())},
            "clientTimeouts": api.timeouts,
            "transportErrors": api.transport_errors,
            "idempotentRetries": api.retries,
        },
        "users": len(users),
        "threads": args.threads,
        "submitSeconds": round(submitted_in, 1),
        "elapsedSeconds": round(elapsed, 1),
        "timeCapSeconds": args.time_cap,
        "problems": problems.items[:50],
        "problemCount": len(problems.items),
        "ok": not problems.items,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def print_table(result: dict) -> None:
    c, t = result["compositions"], result["trainingJobs"]
    rows = [
        ("compositions submitted / accepted", f"{c['submitted']} / {c['accepted']}"),
        ("compositions final", json.dumps(c["final"])),
        ("compositions unfinished", c["unfinished"]),
        ("composition latency p50 / p95 / max (s)", f"{c['latencyP50']} / {c['latencyP95']} / {c['latencyMax']}"),
        ("all compositions done in (s)", f"{c['allDoneSeconds']} ({c['perSecond']}/s)"),
        ("training jobs submitted / accepted", f"{t['submitted']} / {t['accepted']}"),
        ("training jobs stop requested", t["stopRequested"]),
        ("training jobs final", json.dumps(t["final"])),
        ("training jobs unfinished", t["unfinished"]),
        ("training job seconds p50 / max", f"{t['secondsP50']} / {t['secondsMax']}"),
        ("HTTP requests / statuses", f"{result['http']['requests']} {json.dumps(result['http']['statuses'])}"),
        (
            "client timeouts / transport errors / idempotent retries",
            " / ".join(str(result["http"][k]) for k in ("clientTimeouts", "transportErrors", "idempotentRetries")),
        ),
        ("elapsed (s) / cap", f"{result['elapsedSeconds']} / {result['timeCapSeconds']}"),
        ("problems", result["problemCount"]),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    for problem in result["problems"]:
        print(f"PROBLEM {problem}")
    for reason, count in {**c["failureReasons"], **t["failureReasons"]}.items():
        print(f"FAILED x{count}: {reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--compositions", type=int, default=200)
    parser.add_argument("--training-jobs", type=int, default=10)
    parser.add_argument(
        "--stop-every", type=int, default=5, help="every n-th job is a long one, stopped once it trains"
    )
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--threads", type=int, default=16, help="bounded client concurrency")
    parser.add_argument("--time-cap", type=float, default=1800, help="seconds for the whole run")
    parser.add_argument("--poll-seconds", type=int, default=1, help="the local workflow's poll interval")
    parser.add_argument("--url", default=None, help="use a running local API (loopback only) instead of starting one")
    args = parser.parse_args(argv)
    if args.url:
        if not re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/?$", args.url):
            parser.error("--url must be a loopback address: the soak never leaves the machine")
        result = run(args.url.rstrip("/"), args)
    else:
        with local_runtime(args.poll_seconds) as url:
            result = run(url, args)
    print_table(result)
    print(json.dumps({"soak": result}, sort_keys=True))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
