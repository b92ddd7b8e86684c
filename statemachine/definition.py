"""Load the training workflow's ASL with its ``${Name}`` placeholders filled in.

The same file runs on AWS (CDK passes the values as ``DefinitionSubstitutions``) and locally (the
local runtime and the tests call :func:`load_definition`). Failing on a missing *or* an unused
substitution keeps the ASL, its README and every caller in step: a renamed placeholder breaks loudly
instead of leaving a literal ``${...}`` in a running state machine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

TRAINING_ASL = Path(__file__).with_name("training.asl.json")

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_]*)\}")


def placeholders(path: Path = TRAINING_ASL) -> set[str]:
    """The ``${...}`` names the ASL file expects: what CDK must supply as substitutions."""
    return set(_PLACEHOLDER.findall(path.read_text(encoding="utf-8")))


def load_definition(substitutions: dict[str, str], path: Path = TRAINING_ASL) -> str:
    """The ASL with every placeholder replaced; raises ``ValueError`` on a missing or unused name.

    Values are inserted verbatim inside JSON strings (numbers are passed as strings and parsed in
    the ASL with ``States.StringToJson``), so the file stays valid JSON before and after.

    >>> load_definition({"PollSeconds": "1", ...})  # doctest: +SKIP
    """
    text = path.read_text(encoding="utf-8")
    expected = set(_PLACEHOLDER.findall(text))
    missing = expected - substitutions.keys()
    unused = substitutions.keys() - expected
    if missing or unused:
        raise ValueError(f"substitutions do not match {path.name}: missing {sorted(missing)}, unused {sorted(unused)}")
    for name, value in substitutions.items():
        if not isinstance(value, str):
            raise ValueError(f"substitution {name} must be a string, got {type(value).__name__}")
        if '"' in value or "\\" in value:
            raise ValueError(f"substitution {name} must not contain quotes or backslashes: {value!r}")
    filled = _PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
    json.loads(filled)
    return filled
