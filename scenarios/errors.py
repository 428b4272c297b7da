"""The one error a planner sees for bad input: file, field path, what was expected."""

from __future__ import annotations


class ScenarioError(ValueError):
    """Bad scenario input. ``str(err)`` is the one-line message the CLI prints (exit code 2).

    ``source`` is the file's name, or the override as written when an override is to blame;
    ``kind`` says which: ``"file"``, ``"override"`` (a ``PATH=VALUE``) or ``"vary"`` (a sweep's
    ``PATH=SPEC``), so that the command line can name the option it came from.
    """

    def __init__(
        self,
        source: str,
        path: str,
        message: str,
        line: int | None = None,
        kind: str = "file",
    ) -> None:
        self.source = source
        self.path = path
        self.message = message
        self.line = line
        self.kind = kind
        where = f" (line {line})" if line else ""
        field = f"{path}: " if path else ""
        super().__init__(f"{source}: {field}{message}{where}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str, int | None, str]]:
        return (type(self), (self.source, self.path, self.message, self.line, self.kind))
