"""The one error a planner sees for bad input: file, field path, what was expected."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Bad scenario input. ``str(err)`` is the one-line message the CLI prints (exit code 2)."""

    def __init__(
        self, source: str, path: str, message: str, line: int | None = None
    ) -> None:
        self.source = source
        self.path = path
        self.message = message
        self.line = line
        where = f" (line {line})" if line else ""
        field = f"{path}: " if path else ""
        super().__init__(f"{source}: {field}{message}{where}")
