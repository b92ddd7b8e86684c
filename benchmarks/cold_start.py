"""Cold start of the ``api`` function: importing and initialising its handler module, against the floor
of importing boto3 and building the Powertools resolver alone (what any such function pays).

Each sample is a fresh interpreter (a cold Lambda sandbox imports once); floor and handler samples
alternate so that machine drift hits both alike; the figure is the ratio of the medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from shared.resources import BUCKET_ENV, TABLES

ROOT = Path(__file__).resolve().parent.parent

FLOOR = (
    "import boto3\n"
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
    "APIGatewayRestResolver(enable_validation=True)\n"
    "boto3.client('dynamodb')\n"
)
HANDLER = "import lambdas.api.handler\n"

_TIMER = "import time\n_t = time.perf_counter()\n{code}print(time.perf_counter() - _t)\n"


def _environment() -> dict[str, str]:
    env = dict(
        os.environ,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="x",
        POWERTOOLS_TRACE_DISABLED="true",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update({spec.env: f"bench-{spec.logical}" for spec in TABLES})
    env[BUCKET_ENV] = "bench-bucket"
    return env


def _sample(code: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _TIMER.format(code=code)], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def asset_size_bytes() -> int:
    """Unzipped size of the api function's asset, staged exactly as `cdk synth` stages it."""
    from cdk.bundling import lambda_asset_dir

    asset = lambda_asset_dir("api")
    return sum(f.stat().st_size for f in asset.rglob("*") if f.is_file() and "__pycache__" not in f.parts)


def run(samples: int = 9) -> dict[str, float | int | None]:
    env = _environment()
    _sample(HANDLER, env)  # compile bytecode caches once, as a deployed package ships them
    floor, handler = [], []
    for _ in range(samples):
        floor.append(_sample(FLOOR, env))
        handler.append(_sample(HANDLER, env))
    f, h = statistics.median(floor), statistics.median(handler)
    return {
        "floorMs": round(f * 1000, 1),
        "handlerMs": round(h * 1000, 1),
        "ratio": round(h / f, 3),
        "assetBytes": asset_size_bytes(),
    }


if __name__ == "__main__":
    print(run())
