"""`make test` first checks the Debian packages the tests and the PDFs need, and names each
missing one."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
]


def make_system_packages(**env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key != "MAKEFLAGS"}
    return subprocess.run(
        ["make", "-s", "system-packages"],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_missing_noto_font_package_is_named(tmp_path):
    # A fontconfig setup that knows no font directory: as a machine without any font package.
    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n')
    result = make_system_packages(FONTCONFIG_FILE=str(config))
    assert result.returncode != 0
    assert (
        "Missing Debian packages: fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji. "
        "Install them: sudo apt-get install fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji"
    ) in result.stderr


def test_this_machine_has_every_package():
    result = make_system_packages()
    assert (result.returncode, result.stderr) == (0, "")
