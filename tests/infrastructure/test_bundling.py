"""Asset building without Docker: dependency cache reuse (no pip on a warm cache), layer-provided
packages left out, reproducible SageMaker tarballs. No synthesis needed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from cdk import bundling
from cdk.bundling import AssetBuildError


def test_lambda_requirements_leave_out_what_the_layer_and_runtime_provide() -> None:
    requirements = bundling.lambda_requirements("api")
    names = {bundling._requirement_name(r) for r in requirements}
    assert "mido" in names
    assert not names & bundling.PROVIDED_BY_RUNTIME


def test_training_requirements_leave_out_what_the_framework_image_provides() -> None:
    names = {bundling._requirement_name(r) for r in bundling.training_requirements()}
    assert "music21" in names and "mido" in names
    assert not names & bundling.PROVIDED_BY_FRAMEWORK_IMAGE


def test_warm_dependency_cache_is_reused_without_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    requirements = bundling.lambda_requirements("api")
    first = bundling.dependency_dir(requirements)
    assert (first / "mido" / "__init__.py").is_file()

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip ran although the cache was warm")

    monkeypatch.setattr(subprocess, "run", no_network)
    assert bundling.dependency_dir(requirements) == first
    assert bundling.lambda_asset_dir("api") == bundling.lambda_asset_dir("api")


def fake_pip(monkeypatch: pytest.MonkeyPatch, returncode: int, stderr: str = "") -> list[list[str]]:
    """pip stands in for by a recorder answering ``returncode``; the commands it was given."""
    calls: list[list[str]] = []

    def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, returncode, "", stderr)

    monkeypatch.setattr(subprocess, "run", run)
    return calls


def test_a_changed_requirement_set_gets_its_own_cache_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = fake_pip(monkeypatch, 1, "no network here")
    requirements = ["mido==1.3.3", "a-package-not-in-the-cache==0.0.1"]
    key = bundling.dependency_key(requirements)
    assert key != bundling.dependency_key(["mido==1.3.3"])
    with pytest.raises(AssetBuildError, match="no network here"):
        bundling.dependency_dir(requirements)
    [cmd] = calls
    assert {"--platform", "manylinux2014_x86_64", "--only-binary=:all:", "--target"} <= set(cmd)
    assert cmd[cmd.index("--python-version") + 1] == "3.12"
    deps = bundling.CACHE_DIR / "deps"
    assert not (deps / key).exists() and not list(deps.glob(f".{key}-*")), "a failed build leaves nothing behind"


def test_missing_function_is_a_clear_error() -> None:
    with pytest.raises(AssetBuildError, match="lambdas/no_such_function"):
        bundling.lambda_asset_dir("no_such_function")


def test_source_tarball_is_reproducible_and_laid_out_for_the_framework_container(tmp_path: Path) -> None:
    members = bundling._source_members()
    first = bundling._write_tar_gz(members, tmp_path / "a.tar.gz")
    second = bundling._write_tar_gz(list(reversed(members)), tmp_path / "b.tar.gz")
    assert first.read_bytes() == second.read_bytes()
    assert bundling.training_source_tarball() == bundling.training_source_tarball()
    with tarfile.open(first) as tar:
        infos = tar.getmembers()
    names = [m.name for m in infos]
    assert names == sorted(names)
    assert all(m.mtime == 0 for m in infos)
    assert "model/train.py" in names and "requirements.txt" in names


def test_no_dependency_packages_are_installed_without_their_dependencies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = fake_pip(monkeypatch, 0)
    monkeypatch.setattr(bundling, "CACHE_DIR", tmp_path)  # the empty result must not enter the real cache
    bundling.dependency_dir(["mido==1.3.3", "tinysoundfont==0.3.7", "an-uncached-marker==0.0.1"])
    with_deps, without_deps = calls
    assert "--no-deps" not in with_deps and "tinysoundfont==0.3.7" not in with_deps
    assert "--no-deps" in without_deps and without_deps[-1] == "tinysoundfont==0.3.7"


@pytest.mark.skipif(shutil.which("python3.12") is None, reason="needs a CPython 3.12 (Lambda's) on PATH")
def test_the_media_asset_renders_on_its_own_under_lambdas_python(tmp_path: Path) -> None:
    """The staged asset alone (no site-packages, no pretty_midi): the 3.12 wheels load, the bundled
    SoundFont is found, and a MIDI becomes WAV and MP3."""
    asset = bundling.lambda_asset_dir("media")
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from shared.music import audio\n"
        "from shared.music.midi_codec import write_midi\n"
        "from shared.music.score import Note, Score, Track\n"
        "midi = write_midi(Score(tracks=[Track(notes=[Note(0, 60, 480, 90)], program=40)]))\n"
        "assert audio.soundfont_path() == audio.BUNDLED_SOUNDFONT, audio.soundfont_path()\n"
        "wav, mp3 = audio.render(midi, audio.AudioFormat.WAV), audio.render(midi, audio.AudioFormat.MP3)\n"
        "assert wav[:4] == b'RIFF' and mp3[:2] in (b'ID', bytes([255, 251])) and sys.version_info[:2] == (3, 12)\n"
        "try:\n    import pretty_midi\nexcept ImportError:\n    print('ok')\n"
    )
    done = subprocess.run(
        ["python3.12", "-B", "-S", "-s", "-c", script, str(asset)],  # -B: the staged asset stays as built
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "PYENV_VERSION": os.environ.get("PYENV_VERSION", "3.12")},
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
    assert not list(asset.rglob("__pycache__"))


def test_the_training_source_carries_the_weights_a_custom_gan_starts_from_and_no_other_shipped_model() -> None:
    names = {name for name, _ in bundling._source_members()}
    assert {"model/pretrained/bach-chorales/generator.pt", "model/pretrained/bach-chorales/model.json"} <= names
    assert not any(n.startswith("model/pretrained/") and "bach-chorales/" not in n for n in names)
    assert "model/pretrained/bach-chorales/MODEL_CARD.md" not in names
