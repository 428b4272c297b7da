"""jiedao (街道): planning staffing and funds for China's street-management reform.

The package is this repository's root, installed as ``jiedao``: :mod:`jiedao.scenarios` (files,
schema, loader), :mod:`jiedao.sim` (the SimPy model), :mod:`jiedao.optimize` (allocation over
response curves), :mod:`jiedao.planning` (the closed loop that uses both engines),
:mod:`jiedao.export` (everything that leaves the process) and :mod:`jiedao.cli` (the command line).
``docs/architecture.md`` explains the layers.
"""

from importlib import metadata

try:
    __version__ = metadata.version("jiedao")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"
