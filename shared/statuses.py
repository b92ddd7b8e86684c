"""The statuses a user can see, and the only moves between them.

Status moves only forward: data access uses ``allowed_previous`` to write conditionally, so two
writers racing can never move a record backwards or out of a final state.
"""

from __future__ import annotations

from enum import StrEnum


class CompositionStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class TrainingStatus(StrEnum):
    QUEUED = "QUEUED"
    STARTING = "STARTING"
    TRAINING = "TRAINING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"


class ModelStatus(StrEnum):
    CREATING = "CREATING"
    READY = "READY"
    FAILED = "FAILED"
    DELETING = "DELETING"


COMPOSITION_FINAL = frozenset({CompositionStatus.COMPLETED, CompositionStatus.FAILED})
TRAINING_FINAL = frozenset({TrainingStatus.COMPLETED, TrainingStatus.FAILED, TrainingStatus.STOPPED})

_COMPOSITION_NEXT: dict[CompositionStatus, frozenset[CompositionStatus]] = {
    CompositionStatus.PENDING: frozenset(
        {CompositionStatus.RUNNING, CompositionStatus.COMPLETED, CompositionStatus.FAILED}
    ),
    CompositionStatus.RUNNING: frozenset({CompositionStatus.COMPLETED, CompositionStatus.FAILED}),
    CompositionStatus.COMPLETED: frozenset(),
    CompositionStatus.FAILED: frozenset(),
}

_TRAINING_NEXT: dict[TrainingStatus, frozenset[TrainingStatus]] = {
    TrainingStatus.QUEUED: frozenset(
        {TrainingStatus.STARTING, TrainingStatus.FAILED, TrainingStatus.STOPPING, TrainingStatus.STOPPED}
    ),
    TrainingStatus.STARTING: frozenset(
        {
            TrainingStatus.TRAINING,
            TrainingStatus.COMPLETED,
            TrainingStatus.FAILED,
            TrainingStatus.STOPPING,
            TrainingStatus.STOPPED,
        }
    ),
    TrainingStatus.TRAINING: frozenset(
        {
            TrainingStatus.TRAINING,
            TrainingStatus.COMPLETED,
            TrainingStatus.FAILED,
            TrainingStatus.STOPPING,
            TrainingStatus.STOPPED,
        }
    ),
    TrainingStatus.STOPPING: frozenset(
        {TrainingStatus.STOPPING, TrainingStatus.STOPPED, TrainingStatus.FAILED, TrainingStatus.COMPLETED}
    ),
    TrainingStatus.COMPLETED: frozenset(),
    TrainingStatus.FAILED: frozenset(),
    TrainingStatus.STOPPED: frozenset(),
}


def can_move(current: StrEnum, new: StrEnum) -> bool:
    """Whether a record in ``current`` may be moved to ``new`` (TRAINING→TRAINING is a progress update)."""
    if isinstance(new, CompositionStatus):
        return new in _COMPOSITION_NEXT[CompositionStatus(current)]
    return new in _TRAINING_NEXT[TrainingStatus(current)]


def allowed_previous(new: StrEnum) -> list[str]:
    """The statuses from which ``new`` may be written: the condition of a conditional update."""
    table = _COMPOSITION_NEXT if isinstance(new, CompositionStatus) else _TRAINING_NEXT
    return sorted(str(s) for s, nexts in table.items() if new in nexts)
