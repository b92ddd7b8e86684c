"""DynamoDB stream -> Lambda handler delivery, the local twin of a Lambda event source mapping.

A poller thread reads the stream in moto with ``dynamodbstreams`` (describe_stream, get_shard_iterator,
get_records), keeps the records the mapping's filter criteria select, and hands them to the handler in
batches shaped exactly like Lambda's ``{"Records": [...]}`` event. Like Lambda, a batch whose handler
raises is retried (up to ``max_retries`` times, then skipped and logged), and a partial batch response
(``batchItemFailures``) retries from the first failed record.

With ``positions``, the last sequence number handled (delivered, or dropped after its retries) is
saved after every batch and a new poller resumes after it: with the journal's replay rebuilding the
stream under the same numbers, a record is delivered once across restarts.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import boto3

from local.lambda_context import LocalLambdaContext

log = logging.getLogger("local.triggers")

LambdaHandler = Callable[[dict[str, Any], Any], Any]


@dataclass
class StreamSubscription:
    """What an ``AWS::Lambda::EventSourceMapping`` on a table stream says, in local terms."""

    stream_arn: str
    function_name: str
    handler: LambdaHandler
    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    filter_patterns: list[dict[str, Any]] = field(default_factory=list)
    max_retries: int = 2
    report_batch_item_failures: bool = False
    # The mapping's on-failure destination: gets Lambda's record of a batch dropped after its retries.
    on_failure: Callable[[dict[str, Any]], None] | None = None


class StreamPositionStore(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, sequence_number: str) -> None: ...


def stream_table(stream_arn: str) -> str:
    """``arn:...:table/<name>/stream/<label>`` -> ``<name>``: the label changes when a table is re-created."""
    return stream_arn.split(":table/", 1)[-1].split("/stream/", 1)[0]


# --- filter criteria (the subset of EventBridge patterns Lambda filters use) ------------------


def matches_any(record: dict[str, Any], patterns: Iterable[dict[str, Any]]) -> bool:
    """Whether ``record`` passes the mapping's filters: no filters pass everything, else any one must match."""
    patterns = list(patterns)
    return not patterns or any(_match_object(record, p) for p in patterns)


def _match_object(value: Any, pattern: dict[str, Any]) -> bool:
    if not isinstance(value, dict):
        return False
    for key, rule in pattern.items():
        present = key in value
        if isinstance(rule, dict):
            if not present or not _match_object(value[key], rule):
                return False
        elif isinstance(rule, list):
            if not _match_values(value.get(key), present, rule):
                return False
        else:
            raise ValueError(f"Filter pattern value for {key!r} must be an object or a list, not {rule!r}")
    return True


def _match_values(value: Any, present: bool, rules: list[Any]) -> bool:
    candidates = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, dict):
            if "exists" in rule:
                if bool(rule["exists"]) == present:
                    return True
                continue
            if not present:
                continue
            if any(_match_operator(c, rule) for c in candidates):
                return True
        elif present and any(c == rule for c in candidates):
            return True
    return False


def _match_operator(value: Any, rule: dict[str, Any]) -> bool:
    if "prefix" in rule:
        return isinstance(value, str) and value.startswith(rule["prefix"])
    if "suffix" in rule:
        return isinstance(value, str) and value.endswith(rule["suffix"])
    if "equals-ignore-case" in rule:
        return isinstance(value, str) and value.lower() == str(rule["equals-ignore-case"]).lower()
    if "anything-but" in rule:
        excluded = rule["anything-but"]
        excluded = excluded if isinstance(excluded, list) else [excluded]
        return value not in excluded
    raise ValueError(f"Unsupported filter operator {sorted(rule)}; use prefix, suffix, exists, anything-but.")


def parse_filter_criteria(criteria: dict[str, Any] | None) -> list[dict[str, Any]]:
    """``FilterCriteria`` as in the template (patterns are JSON strings) -> pattern objects."""
    patterns = []
    for item in (criteria or {}).get("Filters", []) or []:
        raw = item.get("Pattern", "{}")
        patterns.append(json.loads(raw) if isinstance(raw, str) else raw)
    return patterns


# --- records ----------------------------------------------------------------------------------


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A boto3 get_records record -> the JSON record Lambda delivers (epoch timestamps, source ARN)."""
    out = json.loads(json.dumps(record, default=_json_default))
    ddb = record.get("dynamodb", {})
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        out["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
    out["eventSourceARN"] = stream_arn
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def failure_record(
    records: list[dict[str, Any]], sub: StreamSubscription, attempts: int, shard_id: str
) -> dict[str, Any]:
    """What Lambda sends to a stream mapping's on-failure destination: where the batch was, not its data."""
    sequence = [r["dynamodb"].get("SequenceNumber") for r in records]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": LocalLambdaContext(function_name=sub.function_name).invoked_function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": sequence[0],
            "endSequenceNumber": sequence[-1],
            "approximateArrivalOfFirstRecord": records[0]["dynamodb"].get("ApproximateCreationDateTime"),
            "approximateArrivalOfLastRecord": records[-1]["dynamodb"].get("ApproximateCreationDateTime"),
            "batchSize": len(records),
            "streamArn": sub.stream_arn,
        },
    }


# --- the poller -------------------------------------------------------------------------------


class StreamPoller:
    """Polls one table stream and delivers its records to one handler, until stopped."""

    def __init__(
        self,
        subscription: StreamSubscription,
        *,
        poll_seconds: float = 0.5,
        client: Any = None,
        positions: StreamPositionStore | None = None,
    ) -> None:
        self.subscription = subscription
        self._positions = positions
        self._position_key = f"{stream_table(subscription.stream_arn)}->{subscription.function_name}"
        self.poll_seconds = poll_seconds
        self._client = client or boto3.client("dynamodbstreams")
        self._iterators: dict[str, str | None] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0

    def start(self) -> StreamPoller:
        self._discover_shards(self.subscription.starting_position)
        self._thread = threading.Thread(
            target=self._run, name=f"stream->{self.subscription.function_name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> StreamPoller:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _discover_shards(self, position: str) -> None:
        arn = self.subscription.stream_arn
        shards = self._client.describe_stream(StreamArn=arn)["StreamDescription"].get("Shards", [])
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                saved = self._positions.get(f"{self._position_key}/{shard_id}") if self._positions else None
                where: dict[str, str] = (
                    {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": saved}
                    if saved
                    else {"ShardIteratorType": position}
                )
                self._iterators[shard_id] = self._client.get_shard_iterator(StreamArn=arn, ShardId=shard_id, **where)[
                    "ShardIterator"
                ]

    def _run(self) -> None:
        rounds = 0
        while not self._stop.is_set():
            try:
                busy = self.poll_once()
                rounds += 1
                if rounds % 20 == 0:
                    self._discover_shards("TRIM_HORIZON")
            except Exception:  # noqa: BLE001 - a hiccup in the local endpoint must not end delivery
                log.exception("Polling %s failed; retrying", self.subscription.stream_arn)
                busy = False
            if not busy:
                self._stop.wait(self.poll_seconds)

    def poll_once(self) -> bool:
        """Read every shard once and deliver what arrived; True if anything did."""
        busy = False
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            response = self._client.get_records(ShardIterator=iterator, Limit=self.subscription.batch_size)
            records = response.get("Records", [])
            if records:
                busy = True
                self._deliver([lambda_record(r, self.subscription.stream_arn) for r in records], shard_id)
                if self._positions is not None and not self._stop.is_set():
                    last = records[-1]["dynamodb"]["SequenceNumber"]
                    self._positions.set(f"{self._position_key}/{shard_id}", last)
            self._iterators[shard_id] = response.get("NextShardIterator")
        return busy

    def _deliver(self, records: list[dict[str, Any]], shard_id: str) -> None:
        sub = self.subscription
        selected = [r for r in records if matches_any(r, sub.filter_patterns)]
        pending = selected
        attempt = 0
        while pending and not self._stop.is_set():
            context = LocalLambdaContext(function_name=sub.function_name)
            try:
                result = sub.handler({"Records": pending}, context)
            except Exception:  # noqa: BLE001 - Lambda retries a failed batch; so do we
                log.exception("%s failed on a batch of %d stream records", sub.function_name, len(pending))
                failed_from = 0
            else:
                failed_from = self._first_failure(pending, result)
                if failed_from is None:
                    self.delivered += len(pending)
                    return
            attempt += 1
            if attempt > sub.max_retries:
                log.error(
                    "Dropping %d stream records for %s after %d attempts", len(pending), sub.function_name, attempt
                )
                if sub.on_failure is not None:
                    sub.on_failure(failure_record(pending, sub, attempt, shard_id))
                return
            self.delivered += failed_from
            pending = pending[failed_from:]
            self._stop.wait(min(0.5 * 2**attempt, 5.0))

    def _first_failure(self, records: list[dict[str, Any]], result: Any) -> int | None:
        """Index of the first record to retry per a partial batch response, or None when all succeeded."""
        if not self.subscription.report_batch_item_failures or not isinstance(result, dict):
            return None
        failures = {f.get("itemIdentifier") for f in result.get("batchItemFailures") or []}
        if not failures:
            return None
        for index, record in enumerate(records):
            if record["dynamodb"].get("SequenceNumber") in failures:
                return index
        return 0
