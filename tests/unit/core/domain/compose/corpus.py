"""The compose corpus (tests/data/compose): each file carries what its import must give under
`x-expect` (an extension key, so the importer itself ignores it)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import yaml

from core.domain.compose.plan import Choices, RegistryFacts

CORPUS = Path(__file__).resolve().parents[4] / "data" / "compose"
REGISTRIES = [
    RegistryFacts(id=1, name="Docker Hub", url="https://registry-1.docker.io", is_default=True),
    RegistryFacts(id=2, name="ghcr", url="https://ghcr.io"),
    RegistryFacts(id=3, name="example", url="https://registry.example.com"),
    RegistryFacts(id=4, name="quay", url="https://quay.io"),
    RegistryFacts(id=5, name="elastic", url="https://docker.elastic.co"),
]


def files() -> list[Path]:
    return sorted(CORPUS.glob("*.yml"))


def expectation(path: Path) -> tuple[dict, Choices]:
    expect = yaml.safe_load(path.read_text())["x-expect"]
    return expect, msgspec.convert(expect.get("choices") or {}, Choices)
