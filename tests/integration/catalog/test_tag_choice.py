"""The tag dropdown keeps the tag it is asked for (issue 16, item 2): the wanted one is picked,
one the registry no longer lists is still offered (marked, never silently swapped for the
newest), and a refresh keeps the user's current choice."""

import re

import pytest

from core.services import catalog
from shoaltest.web import ADMIN_PASSWORD

pytestmark = pytest.mark.docker


def picked(html: str) -> list[str]:
    return re.findall(r'<option value="([^"]+)" selected>', html)


async def test_the_dropdown_picks_the_wanted_tag(client, admin, catalog_admin, private_registry):
    service = await catalog.create_service(
        catalog_admin,
        catalog.ServiceInput(
            name="app",
            registry_id=private_registry.id,
            image="shoal/app",
            tag_mode="selectable",
            tag_pattern="v*",
            port=8080,
        ),
    )
    await client.login("admin", ADMIN_PASSWORD)
    url = f"/services/{service.id}/tag-select"
    newest = await client.get(url, params={"name": "tag_app"})
    assert picked(newest.text) == []  # nothing asked: the browser shows the first, the newest
    wanted = await client.get(url, params={"name": "tag_app", "selected": "v1.9.2"})
    assert picked(wanted.text) == ["v1.9.2"]
    gone = await client.get(url, params={"name": "tag_app", "selected": "v0.1"})
    assert picked(gone.text) == ["v0.1"] and "not in the registry's list" in gone.text
    refreshed = await client.get(
        url, params={"name": "tag_app", "selected": "v1.9.2", "tag_app": "v1.10.0", "refresh": 1}
    )
    assert picked(refreshed.text) == ["v1.10.0"]  # the dropdown's current value wins
