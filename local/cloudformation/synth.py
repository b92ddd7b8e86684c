"""Synthesis: run ``app.py`` once and cache the cloud assembly under ``.cache/local-synth/``, keyed by
a hash of what shapes the template, so a warm ``make dev`` starts without jsii; then read the
project's stack template and the file assets CDK staged for it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from local.cloudformation.model import TemplateError
from shared.contract import METADATA_KEY

log = logging.getLogger("local.cloudformation")

REPO_ROOT = Path(__file__).resolve().parents[2]
SYNTH_CACHE = REPO_ROOT / ".cache" / "local-synth"
# What shapes the template and the file assets the local runtime uploads: the training source dir
# (model/ + shared/) and the shipped model's model.tar.gz. Lambda code only changes the hashes of
# directory assets, which the local runtime does not use: it imports the handlers from the checkout.
_SYNTH_INPUTS = ("app.py", "cdk.json", "cdk", "statemachine", "pyproject.toml", "model", "shared")


def _inputs_digest(root: Path) -> str:
    h = hashlib.sha256()
    for rel in _SYNTH_INPUTS:
        path = root / rel
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                h.update(f.relative_to(root).as_posix().encode())
                h.update(hashlib.sha256(f.read_bytes()).digest())
    for d in sorted((root / "lambdas").iterdir()) if (root / "lambdas").is_dir() else []:
        h.update(f"lambdas/{d.name}".encode())
    return h.hexdigest()[:16]


def cloud_assembly(root: Path = REPO_ROOT, *, refresh: bool = False) -> Path:
    """The directory of a synthesized cloud assembly for the current sources (cached)."""
    key = _inputs_digest(root)
    final = SYNTH_CACHE / key
    if final.is_dir() and not refresh:
        return final
    SYNTH_CACHE.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=SYNTH_CACHE))
    env = {
        **os.environ,
        "CDK_OUTDIR": str(tmp),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    for name in ("AWS_ENDPOINT_URL",):  # synthesis must not be pointed at the local endpoint
        env.pop(name, None)
    log.info("Synthesizing the CDK app (first start or changed infrastructure code)...")
    done = subprocess.run([sys.executable, "app.py"], cwd=root, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if "ValidationFailed" in done.stderr and (tmp / "manifest.json").is_file():
            # cdk-nag findings stop a deploy (and fail the infrastructure tests) but not a laptop run:
            # the template itself was written in full.
            log.warning("cdk-nag reports findings (see %s); running locally anyway", final / "validation-report.json")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            raise TemplateError(f"Synthesizing the CDK app failed:\n{done.stderr[-4000:]}")
    if final.is_dir() and refresh:
        shutil.rmtree(final, ignore_errors=True)
    try:
        tmp.rename(final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)  # a concurrent start published the same key first
    _prune(SYNTH_CACHE, keep=key)
    return final


def _prune(cache: Path, keep: str, min_age_seconds: float = 3600) -> None:
    """Drop assemblies of older sources, but not recent ones a concurrent runtime may still be reading."""
    now = time.time()
    for old in cache.iterdir():
        if old.is_dir() and old.name != keep and now - old.stat().st_mtime > min_age_seconds:
            shutil.rmtree(old, ignore_errors=True)


def stack_template(assembly: Path) -> tuple[str, dict[str, Any]]:
    """(stack name, template) of the stack holding the project's resources."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    candidates = []
    for name, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") == "aws:cloudformation:stack":
            template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
            if any(METADATA_KEY in (r.get("Metadata") or {}) for r in template.get("Resources", {}).values()):
                candidates.append((artifact.get("displayName", name).split("/")[-1], template))
    if len(candidates) != 1:
        raise TemplateError(f"Expected one stack with {METADATA_KEY!r} metadata in {assembly}, found {len(candidates)}")
    return candidates[0]


def file_assets(assembly: Path) -> dict[tuple[str, str], Path]:
    """(bucket template, object key) -> local file, from the assets manifests of the cloud assembly."""
    assets: dict[tuple[str, str], Path] = {}
    for manifest in assembly.glob("*.assets.json"):
        data = json.loads(manifest.read_text())
        for entry in data.get("files", {}).values():
            source = assembly / entry["source"]["path"]
            for dest in entry.get("destinations", {}).values():
                assets[(dest["bucketName"], dest["objectKey"])] = source
    return assets
