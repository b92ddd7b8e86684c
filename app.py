#!/usr/bin/env python3
"""CDK app entry: one stack, checked by cdk-nag's AwsSolutions pack on every synth.

``cdk synth`` (or ``make synth``) runs this; it needs no AWS credentials and, once the Lambda
dependency cache under .cache/ is warm, no network. The context in cdk.json is loaded here too, so
the tests (which build the app in-process, without the CLI) synthesize the very same template.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from cdk.stack import STACK_NAME, ComposerStack

CDK_JSON = Path(__file__).with_name("cdk.json")


def build_app(context: dict[str, Any] | None = None, outdir: str | None = None) -> tuple[App, ComposerStack]:
    """The app with its stack and the cdk-nag checks; ``context`` overrides cdk.json's values
    (the CLI's ``-c`` values arrive through the environment and win over both)."""
    defaults = json.loads(CDK_JSON.read_text())["context"]
    app = App(context={**defaults, **(context or {})}, outdir=outdir)
    stack = ComposerStack(app, STACK_NAME, description="Open-source DeepComposer backend: API, training, inference.")
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True))
    return app, stack


if __name__ == "__main__":
    build_app()[0].synth()
