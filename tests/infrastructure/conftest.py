"""Synthesize the app ONCE per test session (jsii synthesis takes tens of seconds) and share it.

The app is built exactly as ``cdk synth`` builds it (``app.build_app``: cdk.json's context, the
cdk-nag AwsSolutions checks), so a finding that is not acknowledged fails this fixture, and with it
every infrastructure test. Each module marks itself ``xdist_group("cdk-synth")``, so under
``pytest -n 2 --dist loadgroup`` one worker synthesizes once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Before aws_cdk is imported: the jsii kernel starts with the import and prints Node 20's banner.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template  # noqa: E402


@dataclass(frozen=True)
class Synthesized:
    template: Template
    raw: dict[str, Any]
    template_path: Path
    assembly_dir: Path

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.raw["Resources"]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def asset_dir(self, code: dict[str, Any]) -> Path:
        """The cloud-assembly folder/file behind a Lambda ``Code`` (or any asset) property."""
        key = code["S3Key"]
        manifest = json.loads(next(self.assembly_dir.glob("*.assets.json")).read_text())
        for entry in manifest["files"].values():
            if any(d["objectKey"] == key for d in entry["destinations"].values()):
                return self.assembly_dir / entry["source"]["path"]
        raise KeyError(key)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    from app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = build_app(outdir=str(outdir))
    assembly = app.synth()  # cdk-nag runs here; Template.from_stack reuses this synthesis
    template = Template.from_stack(stack)
    path = Path(assembly.get_stack_by_name(stack.stack_name).template_full_path)
    yield Synthesized(template, json.loads(path.read_text()), path, Path(assembly.directory))
