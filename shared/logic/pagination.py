"""Lists that span several partitions (the built-ins, then the caller's own items) behind one
opaque ``nextToken``: base64 of ``{"s": source index, "k": the source's LastEvaluatedKey}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shared.errors import ComposerError
from shared.resources import ID_KEY, OWNER_KEY

Item = dict[str, Any]
Fetch = Callable[[int, Item | None], tuple[list[Item], Item | None]]

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


class InvalidNextToken(ComposerError):
    status = 400
    code = "INVALID_NEXT_TOKEN"


@dataclass(frozen=True, slots=True)
class Source:
    """One partition: ``fetch(limit, start_key)`` returns a page and the key to continue from."""

    owner: str
    fetch: Fetch


def paginate(sources: Sequence[Source], limit: int, token: str | None) -> tuple[list[Item], str | None]:
    index, key = _decode(token, sources)
    items: list[Item] = []
    while index < len(sources) and len(items) < limit:
        page, last = sources[index].fetch(limit - len(items), key)
        items.extend(page)
        if last:
            key = last
            if len(items) >= limit:
                return items, _encode(index, key)
        else:
            index, key = index + 1, None
    return items, (_encode(index, None) if index < len(sources) else None)


def static_source(owner: str, items: Sequence[Item]) -> Source:
    """A source over items held in code (the built-in samples), continued by the last id seen."""

    def fetch(limit: int, start_key: Item | None) -> tuple[list[Item], Item | None]:
        start = 0
        if start_key:
            ids = [i[ID_KEY] for i in items]
            start = ids.index(start_key[ID_KEY]) + 1 if start_key[ID_KEY] in ids else len(items)
        page = list(items[start : start + limit])
        more = start + limit < len(items)
        return page, ({OWNER_KEY: owner, ID_KEY: page[-1][ID_KEY]} if more and page else None)

    return Source(owner, fetch)


def _encode(index: int, key: Item | None) -> str:
    return base64.urlsafe_b64encode(json.dumps({"s": index, "k": key}, separators=(",", ":")).encode()).decode()


def _decode(token: str | None, sources: Sequence[Source]) -> tuple[int, Item | None]:
    if not token:
        return 0, None
    message = "nextToken is not one this list handed out; start again without it."
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidNextToken(message) from exc
    if not isinstance(data, dict) or set(data) != {"s", "k"} or not isinstance(data["s"], int):
        raise InvalidNextToken(message)
    index, key = data["s"], data["k"]
    if not 0 <= index < len(sources):
        raise InvalidNextToken(message)
    if key is not None and (
        not isinstance(key, dict)
        or set(key) != {OWNER_KEY, ID_KEY}
        or key[OWNER_KEY] != sources[index].owner
        or not isinstance(key[ID_KEY], str)
    ):
        raise InvalidNextToken(message)
    return index, key
