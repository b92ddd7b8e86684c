"""``python -m model.data``: list tags, build a data set, rebuild the shipped index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.data import (
    DEFAULT_TAGS,
    SHIPPED_INDEX,
    DatasetError,
    build,
    build_index,
    list_tags,
    parse_tags,
    tunes,
    window_index,
)
from model.data.styles import held_out_file, write_splits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m model.data", description="The training data from the music21 corpus."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("tags", help="list the data-set tags and their piece counts")
    sub.add_parser("index", help="re-parse the whole pool and rewrite the shipped tag index")
    sub.add_parser("split", help="rewrite each style's held-out list (by tune) from the shipped index")
    build_cmd = sub.add_parser("build", help="build (and cache) the data set for a filter")
    build_cmd.add_argument("--tags", default=",".join(DEFAULT_TAGS), help="comma-separated, e.g. composer:bach")
    build_cmd.add_argument("--max-pieces", type=int, default=None)
    build_cmd.add_argument("--out", default=None, help="also write dataset.npz here (a SageMaker channel)")
    args = parser.parse_args(argv)
    try:
        if args.command == "tags":
            for tag in list_tags():
                print(f"{tag['tag']:<40} {tag['kind']:<11} {tag['pieces']:>5}")
        elif args.command == "split":
            for style, held in write_splits(tunes()).items():
                print(f"{style}: {len(held)} held-out pieces -> {held_out_file(style)}")
        elif args.command == "index":
            index = build_index()
            print(f"{len(index['pieces'])} usable pieces, {len(index['skipped'])} skipped -> {SHIPPED_INDEX}")
        else:
            dataset = build(parse_tags(args.tags), args.max_pieces)
            train = dataset.split(False)
            print(
                f"{len(dataset.paths)} pieces ({int(dataset.held_out.sum())} held out), "
                f"{len(window_index(train))} training windows"
            )
            if args.out:
                Path(args.out).mkdir(parents=True, exist_ok=True)
                dataset.save(Path(args.out) / "dataset.npz")
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
