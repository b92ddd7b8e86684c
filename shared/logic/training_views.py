"""What a training job shows besides its record: the chart of its history and its per-epoch samples.

Both read only the owner's own record (another user's job id is a 404, like ``GET /training-jobs/{id}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.errors import NotFound
from shared.logic import training_jobs
from shared.logic.training_progress import SAMPLES_ATTRIBUTE
from shared.resources import Keys
from shared.schemas import TrainingSample, TrainingSampleList
from shared.store import blobs
from shared.store import training_jobs as store

if TYPE_CHECKING:
    from shared.logic.media import Media
    from shared.music.audio import AudioFormat


def chart_png(owner: str, job_id: str, scale: int = 1) -> bytes:
    """The training chart; a job with no epochs yet gets a picture that says so."""
    from shared.logic import chart  # Pillow is imported only when a picture is asked for

    job = training_jobs.get(owner, job_id)
    title = f"{job.model_name} ({job.model_type})"
    return chart.render_png(job.history, job.epochs, title, str(job.status), scale)


def samples(owner: str, job_id: str) -> TrainingSampleList:
    """The kept samples, oldest epoch first."""
    training_jobs.get(owner, job_id)  # 404 unless it is the caller's
    item = store.get(owner, job_id) or {}
    return TrainingSampleList(
        items=[
            TrainingSample(
                epoch=s["epoch"],
                created_at=s["createdAt"],
                midi=f"/training-jobs/{job_id}/samples/{s['epoch']}",
            )
            for s in item.get(SAMPLES_ATTRIBUTE) or []
        ]
    )


def _listed_sample(owner: str, job_id: str, epoch: int) -> None:
    listed = {s.epoch for s in samples(owner, job_id).items}
    if epoch not in listed:
        raise NotFound(f"Training job {job_id} has no sample for epoch {epoch} (yet); GET its samples to see which.")


def sample_midi(owner: str, job_id: str, epoch: int) -> bytes:
    _listed_sample(owner, job_id, epoch)
    data = blobs.get_training_sample(owner, job_id, epoch)
    if data is None:
        raise NotFound(f"The sample of epoch {epoch} of training job {job_id} is missing.")
    return data


def sample_audio(owner: str, job_id: str, epoch: int, fmt: AudioFormat) -> Media:
    """An epoch's sample as audio, rendered once and cached like a composition's."""
    from shared.logic.media import audio_for_midi_key  # the synthesizer is imported only for audio

    _listed_sample(owner, job_id, epoch)
    return audio_for_midi_key(Keys.training_sample(owner, job_id, epoch), fmt, f"{job_id}-epoch-{epoch}")
