"""SageMaker's error shapes, so boto3 raises the same ``ClientError`` codes locally as on AWS."""

from __future__ import annotations


class SageMakerError(Exception):
    """An error answered in SageMaker's JSON format: ``{"__type": code, "message": ...}``."""

    def __init__(self, code: str, message: str, status: int = 400, **extra: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra


def validation(message: str) -> SageMakerError:
    return SageMakerError("ValidationException", message)


def limit_exceeded(message: str) -> SageMakerError:
    return SageMakerError("ResourceLimitExceeded", message)
