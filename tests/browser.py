"""Headless Chromium for tests: load a local page, read the DOM its scripts left, take a screenshot.

A plain subprocess (Debian's ``chromium`` package, installed by ``.ci/run``), no driver library. The
browser gets a throwaway profile and a resolver that resolves nothing, so a page cannot reach the
network even if it tried. Without Chromium the tests that need it skip, unless ``WARDEN_REQUIRE_CHROMIUM``
is set (CI sets it): then a missing browser fails them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
"""Screenshots the browser tests keep (gitignored)."""
TIMEOUT_S = 120


def chromium() -> str:
    """The Chromium executable, or skip (fail under ``WARDEN_REQUIRE_CHROMIUM``)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("WARDEN_REQUIRE_CHROMIUM"):
        pytest.fail("chromium is required (WARDEN_REQUIRE_CHROMIUM) but not installed")
    pytest.skip("chromium is not installed (Debian: apt-get install chromium)")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="warden-chromium-") as profile:
        command = [
            chromium(),
            "--headless",
            "--no-sandbox",  # root in CI containers; the page is our own file
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            *args,
        ]
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
            env={**os.environ, "HOME": profile},
        )


def dump_dom(url: str) -> str:
    """The serialized DOM of ``url`` after its scripts ran."""
    done = _run("--dump-dom", url)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(url: str, out: Path, *, width: int = 1280, height: int = 1200) -> Path:
    """A PNG of ``url`` at ``width`` x ``height`` written to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _run(f"--screenshot={out}", f"--window-size={width},{height}", "--hide-scrollbars", url)
    assert done.returncode == 0 and out.exists(), done.stderr[-2000:]
    return out
