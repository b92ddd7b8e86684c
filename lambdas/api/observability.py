"""Powertools Logger and Metrics for the api function (service ``api``).

No Powertools Tracer here, on purpose: constructing it imports the X-Ray SDK, whose recorder builds
an X-Ray client at import, and that cost 0.2-0.5 s, about 40 % of this function's cold start
(`make bench`, coldStartRatio 1.47 with it, 1.0 without). The function still runs with Lambda active
tracing and API Gateway tracing, so every request is traced at the service level; the asynchronous
functions, whose cold start no user waits on, keep the Tracer and its per-call subsegments.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

from shared.contract import METRICS_NAMESPACE, Env

SERVICE = "api"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get(Env.METRICS_NAMESPACE, METRICS_NAMESPACE), service=SERVICE)
