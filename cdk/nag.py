"""cdk-nag 3.x acknowledgements: every rule we accept carries its written reason.

cdk-nag 3 uses CDK's own ``Validations.of(construct).acknowledge(Acknowledgment(id, reason))``;
each finding (``Rule[Finding]``) is acknowledged on the construct that raises it, never stack-wide.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

MIN_REASON_WORDS = 8


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept ``rule`` on ``scope`` (and its children) for the written ``reason``."""
    if len(reason.split()) < MIN_REASON_WORDS:
        raise ValueError(f"acknowledging {rule} needs a real reason, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))
