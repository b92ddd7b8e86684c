"""The media routes: a composition's or melody's audio (WAV or MP3), a composition's piano roll, a
training job's chart and its per-epoch samples (MIDI, or audio).

Audio small enough for a Lambda response comes back inline; a larger file is a 302 to a presigned
S3 URL valid for five minutes, issued only after the owner check. ``ETag``/``Last-Modified`` are
the cached file's, and ``X-Cache`` says whether this request rendered it (``Miss``) or found it
(``Hit``).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.metrics import MetricUnit

from lambdas.api.requests import caller
from lambdas.api.routes.common import AUTH, PictureScale, binary, errors
from lambdas.api.routes.common import ShareToken as Token
from lambdas.media.observability import metrics
from shared.contract import SHARED_PATH
from shared.logic import media, training_views
from shared.music.audio import AudioFormat

router = Router()

ResourceId = Annotated[str, Path(min_length=1, max_length=128)]
Format = Annotated[AudioFormat, Query(alias="format", description="wav (16-bit PCM, 44.1 kHz stereo) or mp3.")]
SampleFormat = Annotated[
    AudioFormat | None, Query(alias="format", description="Absent: the MIDI; wav or mp3: the sample as audio.")
]
Epoch = Annotated[int, Path(ge=1, le=100_000, description="The epoch the sample was composed after.")]

_AUDIO_ANSWERS: dict[int, OpenAPIResponse] = {
    200: {
        "description": "The audio (General MIDI, TimGM6mb SoundFont); ETag and Last-Modified are the cached file's.",
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in ("audio/wav", "audio/mpeg")},
    },
    302: {"description": "Too large to send inline: Location is a presigned download URL valid for 5 minutes."},
}


def _audio_response(found: media.Media):
    metrics.add_metric(name="AudioCacheHits" if found.cached else "AudioRenders", unit=MetricUnit.Count, value=1)
    headers = {
        "ETag": found.etag,
        "Last-Modified": found.last_modified.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Cache-Control": "private, max-age=300",
        "X-Cache": "Hit" if found.cached else "Miss",
    }
    if found.url is not None:
        return Response(status_code=302, body="", headers={**headers, "Location": found.url})
    headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return Response(status_code=200, content_type=found.media_type, body=found.body, headers=headers)


@router.get(
    "/compositions/<composition_id>/audio",
    summary="Listen to a composition: its audio as WAV or MP3",
    security=AUTH,
    tags=["media"],
    description="Rendered once with a General MIDI synthesizer (each track with its program) and cached.",
    responses={**_AUDIO_ANSWERS, **errors(401, 404, 409, 422)},
)
def get_composition_audio(
    composition_id: ResourceId, fmt: Format = AudioFormat.WAV
):  # no return annotation: the body is binary or empty, not JSON to validate
    return _audio_response(media.composition_audio(caller(router.current_event), composition_id, fmt))


@router.get(
    "/melodies/<melody_id>/audio",
    summary="Listen to a melody (yours or a built-in one) as WAV or MP3",
    security=AUTH,
    tags=["media"],
    responses={**_AUDIO_ANSWERS, **errors(401, 404, 422)},
)
def get_melody_audio(melody_id: ResourceId, fmt: Format = AudioFormat.WAV):  # binary body: no return annotation
    return _audio_response(media.melody_audio(caller(router.current_event), melody_id, fmt))


@router.get(
    "/compositions/<composition_id>/pianoroll.png",
    summary="The composition as a piano-roll picture",
    security=AUTH,
    tags=["compositions"],
    responses={
        **binary("image/png", "One colour per track, a keyboard strip with note names, bar numbers, a legend."),
        **errors(401, 404, 409, 422),
    },
)
def get_composition_pianoroll(composition_id: ResourceId, scale: PictureScale = 1):  # binary body: no return annotation
    return Response(
        status_code=200,
        content_type="image/png",
        body=media.composition_pianoroll(caller(router.current_event), composition_id, scale),
    )


@router.get(
    "/training-jobs/<job_id>/chart.png",
    summary="The training chart",
    security=AUTH,
    tags=["training"],
    description="Per-epoch losses and music figures on one epoch axis, the similarity index highlighted; "
    "drawn from the stored history, so it works while the job trains. A job with no epochs yet gets a "
    "picture that says so.",
    responses={**binary("image/png", "The chart."), **errors(401, 404, 422)},
)
def get_training_chart(job_id: ResourceId, scale: PictureScale = 1):  # binary body: no JSON return annotation
    owner = caller(router.current_event)
    return Response(status_code=200, content_type="image/png", body=training_views.chart_png(owner, job_id, scale))


@router.get(
    "/training-jobs/<job_id>/samples/<epoch>",
    summary="One epoch's sample: the MIDI, or its audio with ?format=wav|mp3",
    security=AUTH,
    tags=["training"],
    responses={
        **binary("audio/midi", "The epoch's composition of the held-out melody."),
        **{k: v for k, v in _AUDIO_ANSWERS.items() if k != 200},
        **errors(401, 404, 422),
    },
)
def get_training_sample(
    job_id: ResourceId, epoch: Epoch, fmt: SampleFormat = None
):  # binary body: no JSON return annotation
    owner = caller(router.current_event)
    if fmt is not None:
        return _audio_response(training_views.sample_audio(owner, job_id, epoch, fmt))
    return Response(
        status_code=200,
        content_type="audio/midi",
        body=training_views.sample_midi(owner, job_id, epoch),
        headers={"Content-Disposition": f'attachment; filename="{job_id}-epoch-{epoch}.mid"'},
    )


@router.get(
    f"{SHARED_PATH}/<token>/audio",
    summary="A shared composition as audio (no sign-in)",
    tags=["shares"],
    responses={**_AUDIO_ANSWERS, **errors(404, 422)},
)
def get_shared_audio(token: Token, fmt: Format = AudioFormat.WAV):  # binary body: no return annotation
    return _audio_response(media.shared_audio(token, fmt))


@router.get(
    f"{SHARED_PATH}/<token>/pianoroll.png",
    summary="A shared composition as a piano-roll picture (no sign-in)",
    tags=["shares"],
    responses={**binary("image/png", "One colour per track, note names, bar numbers, a legend."), **errors(404, 422)},
)
def get_shared_pianoroll(token: Token, scale: PictureScale = 1):  # binary body: no return annotation
    return Response(status_code=200, content_type="image/png", body=media.shared_pianoroll(token, scale))
