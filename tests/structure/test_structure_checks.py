"""The layering rules hold on this tree, and the checks that enforce them really fail when broken.

The rules live in ``pyproject.toml`` (``[tool.importlinter]``) and in ``import_cycles.py``; ``make
check`` (part of ``make test``) runs them. Each negative test copies the tree to a temporary folder,
adds one forbidden import or one cycle there, and runs the same check on the copy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.structure.import_cycles import PACKAGES, find_cycles

REPO_ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CYCLES_SCRIPT = Path(__file__).with_name("import_cycles.py")


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd), "HOME": str(cwd)}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The packages and the tool config, without caches or model weights (the checks read only source)."""
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pt"))
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + code + "\n", encoding="utf-8")


def test_this_tree_has_no_import_cycle() -> None:
    assert find_cycles() == []


def test_this_tree_keeps_every_import_contract() -> None:
    result = _run([str(LINT_IMPORTS)], REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_the_copy_passes_before_anything_is_added(tree_copy: Path) -> None:
    assert _run([str(LINT_IMPORTS)], tree_copy).returncode == 0
    assert _run([sys.executable, str(CYCLES_SCRIPT)], tree_copy).returncode == 0


@pytest.mark.parametrize(
    ("module", "code", "message"),
    [
        (
            "shared/logic/clock.py",
            "def _late() -> None:\n    import local.cli",
            "shared is not allowed to import local",
        ),
        ("shared/errors.py", "import model", "shared is not allowed to import model"),
        ("lambdas/compose_worker/handler.py", "import local.triggers", "lambdas is not allowed to import local"),
        (
            "lambdas/training_trigger/handler.py",
            "from shared.store import dynamo",
            "lambdas.training_trigger.handler is not allowed to import shared.store",
        ),
    ],
    ids=["shared-imports-local-in-a-function", "shared-imports-model", "lambda-imports-local", "handler-imports-store"],
)
def test_a_forbidden_import_breaks_the_contracts(tree_copy: Path, module: str, code: str, message: str) -> None:
    _append(tree_copy / module, code)
    result = _run([str(LINT_IMPORTS)], tree_copy)
    assert result.returncode != 0
    assert message in result.stdout, result.stdout


def test_a_cycle_through_a_function_level_import_is_found(tree_copy: Path) -> None:
    # shared.logic.melodies imports shared.store.melodies; the late import closes the loop.
    _append(tree_copy / "shared/store/melodies.py", "def _late() -> None:\n    from shared.logic import melodies")
    cycles = _run([sys.executable, str(CYCLES_SCRIPT)], tree_copy)
    assert cycles.returncode == 1
    assert "shared.logic.melodies" in cycles.stdout and "shared.store.melodies" in cycles.stdout
    contracts = _run([str(LINT_IMPORTS)], tree_copy)
    assert contracts.returncode != 0 and "No cycles are allowed in shared" in contracts.stdout
