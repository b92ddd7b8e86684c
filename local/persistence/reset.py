"""``make dev-reset``: delete the data folder of ``make dev``, after asking.

``--yes`` skips the question (for scripts); a folder in use by a running runtime is never deleted.
"""

from __future__ import annotations

import argparse
import sys

from local.cloudformation import REPO_ROOT
from local.persistence.datadir import DataDirInUse, default_data_dir, reset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make dev-reset", description=__doc__.split("\n")[0])
    parser.add_argument("--yes", action="store_true", help="do not ask")
    args = parser.parse_args(argv)
    folder = default_data_dir(REPO_ROOT)
    if not folder.exists():
        print(f"Nothing to delete: {folder} does not exist.")
        return 0
    if not args.yes:
        answer = input(f"Delete {folder} (all local melodies, compositions, models and training jobs)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Kept.")
            return 0
    try:
        reset(folder)
    except DataDirInUse as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Deleted {folder}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
