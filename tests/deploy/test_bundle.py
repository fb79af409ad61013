"""``scripts/bundle-terminal``: the offline bundle installs into a fresh virtual environment with
``pip install --no-index`` (nothing from the network) and the terminal runs from it, face models included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from protocol.version import __version__
from tests import ROOT
from tests.fixtures.faces import frame

pytestmark = pytest.mark.slow


def test_the_bundle_installs_without_an_index_and_the_terminal_runs(tmp_path: Path) -> None:
    bundle, prefix = tmp_path / "bundle", tmp_path / "opt-guardpost"
    subprocess.run([ROOT / "scripts" / "bundle-terminal", "--python", sys.executable, bundle], check=True, timeout=600)
    assert (bundle / "BUNDLE.txt").read_text().startswith(f"guardpost {__version__} terminal bundle")

    # No index, and no way to reach one even if pip were asked to.
    offline = {**os.environ, "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull, "https_proxy": "http://127.0.0.1:9"}
    subprocess.run([bundle / "install.sh", prefix], check=True, timeout=600, env=offline)

    guardpost = prefix / "bin" / "guardpost"
    for command in (["terminal", "--help"], ["cards", "--help"], ["--version"]):
        done = subprocess.run([guardpost, *command], capture_output=True, text=True, timeout=60, check=True)
        assert done.stdout.strip()
    assert __version__ in subprocess.run([guardpost, "--version"], capture_output=True, text=True).stdout
    # The face models came inside the bundle: the engine loads them and finds the face in a real photo.
    photo = tmp_path / "frame.png"
    cv2.imwrite(str(photo), frame(1, 1))
    probe = (
        "import sys, cv2; from shared.face import FaceEngine, FaceSettings; "
        "found = FaceEngine(FaceSettings()).analyse(cv2.imread(sys.argv[1])); "
        "print(found.status, len(found.embedding))"
    )
    found = subprocess.run([prefix / "bin" / "python", "-c", probe, photo], capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == ["OK", "128"]
