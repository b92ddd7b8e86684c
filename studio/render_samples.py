"""Render the studio's instrument samples from the SoundFont the server's synthesizer uses.

The browser plays compositions with Web Audio from these short WAV files, pitch-shifted to each note,
so what the studio plays sounds like the server's audio and nothing is fetched from a CDN. The
SoundFont is ``TimGM6mb.sf2`` (General MIDI, GPL-2.0), which ships inside the pinned ``pretty_midi``
wheel; it is rendered with ``tinysoundfont``. A few pitches per program keep the shift small (at most
half an octave) and the download to a few hundred KB per instrument.

    python studio/render_samples.py studio/dist/samples
"""

from __future__ import annotations

import argparse
import json
import wave
from array import array
from pathlib import Path

import pretty_midi
import tinysoundfont

# General MIDI programs the shipped models write (melody piano, viola, cello, acoustic bass) and a few
# common neighbours, so an uploaded file's tracks still find a close voice.
PROGRAMS = (0, 19, 24, 32, 40, 41, 42, 48, 52, 56, 68, 71, 73)
# Every 12 semitones from C1 to C7: a note is shifted from the nearest, at most 6 semitones away.
PITCHES = (24, 36, 48, 60, 72, 84, 96)
SAMPLE_RATE = 22050
HOLD_SECONDS = 1.6
RELEASE_SECONDS = 0.4
VELOCITY = 100
# TimGM6mb renders quietly; one gain for every program keeps their balance.
GAIN = 3 * 16383


def soundfont_path() -> Path:
    """The SoundFont inside the installed ``pretty_midi`` package (the one the server renders with)."""
    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


def render_note(synth: tinysoundfont.Synth, pitch: int) -> array:
    """One note held for ``HOLD_SECONDS`` then released, as 16-bit mono samples."""
    synth.noteon(0, pitch, VELOCITY)
    held = synth.generate(int(HOLD_SECONDS * SAMPLE_RATE))
    synth.noteoff(0, pitch)
    tail = synth.generate(int(RELEASE_SECONDS * SAMPLE_RATE))
    stereo = array("f", bytes(held) + bytes(tail))
    mono = array(
        "h", (max(-32767, min(32767, int((stereo[i] + stereo[i + 1]) * GAIN))) for i in range(0, len(stereo), 2))
    )
    return mono


def write_wav(path: Path, samples: array) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())


def render(out_dir: Path) -> dict[str, object]:
    """Write ``p<program>-<pitch>.wav`` for each program and pitch, and ``manifest.json`` naming them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    synth = tinysoundfont.Synth(samplerate=SAMPLE_RATE)
    sfid = synth.sfload(str(soundfont_path()))
    programs: dict[str, list[int]] = {}
    for program in PROGRAMS:
        synth.program_select(0, sfid, 0, program)
        for pitch in PITCHES:
            write_wav(out_dir / f"p{program}-{pitch}.wav", render_note(synth, pitch))
            synth.notes_off()
            synth.generate(SAMPLE_RATE // 10)  # let the voice die before the next note
        programs[str(program)] = list(PITCHES)
    manifest = {
        "soundfont": "TimGM6mb.sf2 (GPL-2.0, from the pretty_midi wheel)",
        "sampleRate": SAMPLE_RATE,
        "holdSeconds": HOLD_SECONDS,
        "programs": programs,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    manifest = render(args.out_dir)
    print(f"{sum(len(p) for p in manifest['programs'].values())} samples in {args.out_dir}")  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
