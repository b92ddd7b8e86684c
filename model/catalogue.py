"""Build step: the data-set catalogue the API serves and checks filters against, from the model's
tag index and the Transformer's melody collections.

``python -m model.catalogue`` rewrites ``shared/datasets/tags.json`` after ``model/dataset_index.json``
or a melody collection changes; a test fails when the two drift. It lives on the model side because
only the model knows the corpus; the API Lambda reads the committed file and never imports this
package.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from model.data import TAG_KINDS, is_held_out, list_tags, load_index, match
from shared.logic.datasets import (
    CATALOGUE_PATH,
    MIN_HELD_OUT_PIECES,
    MIN_TRAINING_PIECES,
    RULE,
    Catalogue,
    render,
)

TUNE_HEADER = re.compile(r"^X:", re.MULTILINE)


def style_of(piece: dict[str, Any]) -> str:
    """A piece's style: the index's ``style`` where it records one, else its collection."""
    return str(piece.get("style") or piece["collection"])


def melody_collections() -> list[dict[str, Any]]:
    """The Transformer's collections with their tune counts: the ``X:`` headers of the ABC books (a
    text scan: parsing every tune takes many minutes; the few the parser later skips are counted)
    and the chorales of the index; held-out tunes from its checked-in split."""
    from music21 import common

    from model.transformer import corpus as C

    root = Path(common.getCorpusFilePath())
    held = C.held_out_ids()
    out = []
    for folder, name in C.FOLK_COLLECTIONS.items():
        files = C.corpus_files(folder)
        tunes = sum(len(TUNE_HEADER.findall((root / f).read_text(encoding="latin-1"))) for f in files)
        held_out = sum(1 for tune in held if tune.split("#", 1)[0] in set(files))
        out.append({"tag": f"collection:{name}", "tunes": tunes, "heldOutTunes": held_out})
    chorales = match([f"collection:{C.CHORALE_COLLECTION}"])
    out.append(
        {
            "tag": f"collection:{C.CHORALE_COLLECTION}",
            "tunes": len(chorales),
            "heldOutTunes": sum(1 for path in chorales if path in held),
        }
    )
    return out


def build_catalogue(collections: list[dict[str, Any]] | None = None) -> Catalogue:
    """The catalogue: per tag its pieces, held-out pieces, training windows and styles; every piece."""
    index = load_index()["pieces"]
    pieces = [
        {
            "path": path,
            "tags": [f"{kind}:{piece[kind]}" for kind in TAG_KINDS],
            "heldOut": is_held_out(path),
            "windows": int(piece.get("windows", 0)),
            "style": style_of(piece),
        }
        for path, piece in sorted(index.items())
    ]
    items = []
    for tag in list_tags():
        members = [p for p in pieces if tag["tag"] in p["tags"]]
        items.append(
            {
                **tag,
                "heldOutPieces": sum(p["heldOut"] for p in members),
                "windows": sum(p["windows"] for p in members if not p["heldOut"]),
                "styles": sorted({p["style"] for p in members}),
            }
        )
    return Catalogue.model_validate(
        {
            "items": items,
            "rule": RULE,
            "minimumTrainingPieces": MIN_TRAINING_PIECES,
            "minimumHeldOutPieces": MIN_HELD_OUT_PIECES,
            "melodyCollections": melody_collections() if collections is None else collections,
            "pieces": pieces,
        }
    )


if __name__ == "__main__":
    CATALOGUE_PATH.write_text(render(build_catalogue()), encoding="utf-8")
    print(f"wrote {CATALOGUE_PATH}")
