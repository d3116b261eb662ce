"""Every importable file of the compose corpus imported into the real database, each into a
project of its own, and the saved version checked against its `x-expect`."""

import importlib.util
from pathlib import Path

import pytest

from core.services import compose_import, secrets
from core.services.projects import ProjectInput, create_project
from core.tables import Registry, Service
from shoaltest.db import insert_row

# The corpus reader lives beside the unit tests that plan the same files.
_spec = importlib.util.spec_from_file_location(
    "compose_corpus",
    Path(__file__).resolve().parents[2] / "unit" / "core" / "domain" / "compose" / "corpus.py",
)
corpus = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(corpus)  # type: ignore[union-attr]

IMPORTABLE = [
    p for p in corpus.files() if not {"refused", "problems"} & set(corpus.expectation(p)[0])
]


def test_most_of_the_corpus_is_importable():
    assert len(IMPORTABLE) >= 10


@pytest.mark.parametrize("path", IMPORTABLE, ids=lambda p: p.stem)
async def test_corpus_file_imports(shop, path):
    for facts in corpus.REGISTRIES[1:]:
        await insert_row(Registry(name=facts.name, url=facts.url))
    expect, choices = corpus.expectation(path)
    project = await create_project(shop.admin, ProjectInput(name="stack", cpu=4.0, memory_mb=4096))
    saved = await compose_import.import_compose(shop.admin, project.id, path.read_text(), choices)
    assert [n["id"] for n in saved.nodes] == expect["nodes"]
    assert sorted([e["from"], e["to"]] for e in saved.edges) == sorted(expect["edges"])
    assert sorted(await secrets.secret_names(project.id)) == sorted(expect["secrets"])
    ids = [n["config"]["service_id"] for n in saved.nodes]
    names = await Service.select(Service.name).where(Service.id.is_in(ids)).run()
    assert sorted(r["name"] for r in names) == sorted(f"stack-{n}" for n in expect["nodes"])
