"""Powertools Logger, Tracer and Metrics for the api function (service ``api``)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

from shared.resources import METRICS_NAMESPACE

SERVICE = "api"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", METRICS_NAMESPACE), service=SERVICE)
