"""core.services.lifecycle.move is the only writer of a deployment's status (DESIGN §9)."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[3]
WRITER = ROOT / "core" / "services" / "lifecycle.py"
# A status written by an update: `{Deployment.status: …}` or `Deployment.update(…status…)`.
WRITES = re.compile(r"Deployment\.status\s*:|Deployment\.update\([^)]*[\"']status[\"']")


def test_only_the_lifecycle_service_writes_a_deployment_status():
    writers = [
        str(path.relative_to(ROOT))
        for folder in ("core", "web")
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts and path != WRITER and WRITES.search(path.read_text())
    ]
    assert writers == [], "move deployments with core.services.lifecycle.move"
    assert WRITES.search(WRITER.read_text())  # the pattern still finds the one real writer
