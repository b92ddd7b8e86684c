"""What the stores raise. They are not user errors: the logic layer decides what each one means."""

from __future__ import annotations

# What AWS answers when a call is throttled (DynamoDB, SageMaker, Lambda, S3).
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
    }
)


class StoreError(Exception):
    """Base of the data-access failures the logic layer is expected to handle."""


class AlreadyExists(StoreError):
    """A create-only write found an item with the same key."""


class StaleWrite(StoreError):
    """A conditional update lost: the item is gone or no longer in a state the write allows."""


class EndpointError(StoreError):
    """The SageMaker endpoint answered with an error; ``message`` is its readable part."""


class EndpointTimeout(StoreError):
    """The SageMaker endpoint did not answer within the read timeout."""


class DispatchError(StoreError):
    """Lambda refused to queue an asynchronous invocation."""
