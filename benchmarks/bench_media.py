"""The media function: its asset (staged as `cdk synth` stages it, and zipped as CDK uploads it)
beside the api function's and Lambda's own limits, and what a render costs beside the length of
the music it renders (a real-time factor: seconds of CPU per second of audio).

    .venv/bin/python -m benchmarks.bench_media
"""

from __future__ import annotations

import io
import json
import statistics
import time
import zipfile
from pathlib import Path
from typing import Any

# Lambda's limits: 50 MB zipped for a direct upload, 250 MB unzipped for code and layers together.
LAMBDA_ZIPPED_LIMIT = 50 * 1024 * 1024
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024

GOALS = {
    "mediaAssetZippedBytes": ("<=", float(LAMBDA_ZIPPED_LIMIT)),
    "mediaRenderRealTimeFactor": ("<=", 0.5),
}


def _sizes(folder: Path) -> tuple[int, int]:
    files = [f for f in sorted(folder.rglob("*")) if f.is_file() and "__pycache__" not in f.parts]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            archive.write(f, f.relative_to(folder).as_posix())
    return sum(f.stat().st_size for f in files), len(buffer.getvalue())


def _eight_bar_composition() -> bytes:
    """Four tracks of eight bars at the sample's tempo, notes on every beat: a GAN composition's size."""
    from shared.music.midi_codec import write_midi
    from shared.music.samples import sample_index
    from shared.music.score import Note, Track

    score = sample_index()["sample-ode-to-joy"].score()
    beats = -(-score.end_tick // score.ticks_per_beat)
    for shift, program in ((-5, 48), (-12, 42), (-24, 32)):
        notes = [Note(b * score.ticks_per_beat, 60 + shift, score.ticks_per_beat, 80) for b in range(beats)]
        score.tracks.append(Track(notes=notes, name=f"program {program}", program=program))
    return write_midi(score)


def bench_media(runs: int = 5) -> dict[str, Any]:
    from cdk.bundling import lambda_asset_dir
    from shared.music.audio import mp3_bytes, render_pcm, wav_bytes

    media_unzipped, media_zipped = _sizes(lambda_asset_dir("media"))
    api_unzipped, _ = _sizes(lambda_asset_dir("api"))
    midi = _eight_bar_composition()
    render_pcm(midi)  # loads the SoundFont once, as a warm function has
    pcm_times, wav_times, mp3_times = [], [], []
    for _ in range(runs):
        started = time.perf_counter()
        pcm = render_pcm(midi)
        rendered = time.perf_counter()
        wav_bytes(pcm)
        wrapped = time.perf_counter()
        mp3_bytes(pcm)
        encoded = time.perf_counter()
        pcm_times.append(rendered - started)
        wav_times.append(wrapped - started)
        mp3_times.append(encoded - wrapped + rendered - started)
    seconds = pcm.seconds
    wav = statistics.median(wav_times)
    return {
        "mediaAssetBytes": media_unzipped,
        "mediaAssetZippedBytes": media_zipped,
        "apiAssetBytesBeside": api_unzipped,
        "mediaAudioSeconds": round(seconds, 2),
        "mediaRenderWavSeconds": round(wav, 3),
        "mediaRenderMp3Seconds": round(statistics.median(mp3_times), 3),
        "mediaRenderRealTimeFactor": round(wav / seconds, 3),
        "mediaWavBytes": len(wav_bytes(pcm)),
        "mediaMp3Bytes": len(mp3_bytes(pcm)),
    }


if __name__ == "__main__":
    print(json.dumps(bench_media()))
