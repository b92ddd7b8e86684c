"""Typed domain errors.

Every failure a user can cause is one of these, so that one mapping (in the API) turns it into a
4xx with a message that says what to change. Logic raises them; it never builds HTTP responses.
"""

from __future__ import annotations


class ComposerError(Exception):
    """Base of every expected failure; ``status`` is the HTTP status the API answers with."""

    status: int = 400
    code: str = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(ComposerError):
    """The request is well-formed but its content breaks a rule (422)."""

    status = 422
    code = "INVALID_INPUT"


class InvalidMidi(ComposerError):
    """The bytes are not a readable Standard MIDI File (400)."""

    status = 400
    code = "INVALID_MIDI"


class MelodyRuleViolation(InvalidInput):
    """A readable MIDI file that breaks one of the melody rules (422); ``code`` names the rule."""

    code = "MELODY_RULE"


class NotFound(ComposerError):
    status = 404
    code = "NOT_FOUND"


class Conflict(ComposerError):
    """The resource is not in a state that allows the request (409)."""

    status = 409
    code = "CONFLICT"


class PayloadTooLarge(ComposerError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(ComposerError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class TooManyRequests(ComposerError):
    status = 429
    code = "TOO_MANY_REQUESTS"


class Unauthorized(ComposerError):
    """The request carries no caller identity (no authorizer claims): 401."""

    status = 401
    code = "UNAUTHORIZED"


class StoredRecordInvalid(ComposerError):
    """A record in a table no longer fits its schema: our fault, never the caller's, so a 500 (the
    record is left as it is for an operator to look at)."""

    status = 500
    code = "INTERNAL_ERROR"
