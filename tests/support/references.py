"""The benchmarks' reference models, loaded by file path for the tests that check them.

The hand-written SimPy models in ``benchmarks/reference_simpy.py`` are the baseline the engine's
cost is measured against, so the tests prove they simulate the same queue (against queueing
theory). The repository root is kept off ``sys.path`` in the tests (so that only the installed
``jiedao`` can be imported), which is why the module is loaded from its file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load(name: str) -> ModuleType:
    qualified = f"benchmarks.{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


reference_simpy = load("reference_simpy")
