"""Where the repository's files are, for tests that read them (docs, shipped scenarios)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "docs" / "examples" / "minimal.toml"
