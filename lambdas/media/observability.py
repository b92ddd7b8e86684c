"""Powertools Logger and Metrics for the media function (service ``media``); no Tracer, for the
cold start, as in the api function (``lambdas/api/observability.py`` says why)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

from shared.contract import METRICS_NAMESPACE, Env

SERVICE = "media"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get(Env.METRICS_NAMESPACE, METRICS_NAMESPACE), service=SERVICE)
