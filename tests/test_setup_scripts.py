"""The setup scripts install from Debian's packages what a fresh machine lacks, and only that.

Run with a PATH of stand-ins: ``apt-get`` and ``sudo`` record what they were asked, a ``python3``
with or without ``ensurepip``, ``npm`` present or not; nothing is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

TOOLS = ROOT / "tools"
SYSTEM = ("id", "dirname", "env", "sh")  # what the scripts use from the machine


def stand_ins(folder: Path, *, venv: bool, npm: bool, chromium: bool = True) -> Path:
    """A bin folder: the machine's tools the scripts use, recording apt-get and sudo."""
    folder.mkdir()
    for name in SYSTEM:
        (folder / name).symlink_to(shutil.which(name))
    log = folder.parent / "apt.log"
    (folder / "apt-get").write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    (folder / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    (folder / "python3").write_text(
        "#!/bin/sh\nexit 0\n"
        if venv
        else '#!/bin/sh\necho "No module named ensurepip" >&2\nexit 1\n'
    )
    if npm:
        (folder / "npm").write_text("#!/bin/sh\nexit 0\n")
    if chromium:
        (folder / "chromium").write_text("#!/bin/sh\nexit 0\n")
    for tool in folder.iterdir():
        if not tool.is_symlink():
            tool.chmod(0o755)
    return log


def run(script: str, folder: Path) -> subprocess.CompletedProcess:
    env = {"PATH": str(folder), "HOME": str(folder.parent)}
    return subprocess.run(
        ["/bin/sh", str(TOOLS / script)], env=env, capture_output=True, text=True, check=False
    )


def asked(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize(
    ("venv", "npm", "installed"),
    [
        (False, False, "python3-venv npm"),
        (False, True, "python3-venv"),
        (True, False, "npm"),
    ],
)
def test_what_make_setup_needs_is_installed_when_missing(tmp_path, venv, npm, installed):
    log = stand_ins(tmp_path / "bin", venv=venv, npm=npm)
    done = run("ensure_build_tools.sh", tmp_path / "bin")
    assert done.returncode == 0, done.stderr
    assert asked(log) == ["update -qq", f"install -y -qq {installed}"]
    assert f"installing {installed} from Debian's packages" in done.stdout


def test_nothing_is_installed_when_everything_is_there(tmp_path):
    log = stand_ins(tmp_path / "bin", venv=True, npm=True)
    done = run("ensure_build_tools.sh", tmp_path / "bin")
    assert done.returncode == 0, done.stderr
    assert asked(log) == []
    assert done.stdout == ""


@pytest.mark.parametrize("present", [True, False])
def test_chromium_is_installed_only_when_missing(tmp_path, present):
    log = stand_ins(tmp_path / "bin", venv=True, npm=True, chromium=present)
    done = run("ensure_chromium.sh", tmp_path / "bin")
    assert done.returncode == 0, done.stderr
    assert asked(log) == ([] if present else ["update -qq", "install -y -qq chromium"])


def test_the_makefile_checks_the_build_tools_before_making_the_venv():
    rule = (ROOT / "Makefile").read_text().split("$(VENV)/.installed:")[1].split("\n\n")[0]
    steps = [line.strip() for line in rule.splitlines()[1:]]
    assert steps[0] == "PYTHON=$(PYTHON) sh tools/ensure_build_tools.sh"
    assert steps[1] == "$(PYTHON) -m venv $(VENV)"
