"""Project secrets and key rotation against the real database."""

import pytest

from core import crypto, runtime
from core.actor import Actor
from core.errors import Forbidden, InvalidInput, NotFound
from core.services import audit, key_rotation, registries, secrets, sso_providers
from core.services.projects import ProjectInput, create_project
from core.tables import Registry, Secret


@pytest.fixture
async def project(catalog_admin):
    return await create_project(catalog_admin, ProjectInput(name="shop"))


async def test_set_list_replace_delete(catalog_admin, project):
    first = await secrets.set_secret(catalog_admin, project.id, "DB_PASSWORD", "s3cret")
    assert (first.name, first.updated_by) == ("DB_PASSWORD", "root")
    await secrets.set_secret(catalog_admin, project.id, "API_KEY", "k")
    await secrets.set_secret(catalog_admin, project.id, "DB_PASSWORD", "changed")
    listed = await secrets.list_secrets(project.id)
    assert [(s.name, s.updated_by) for s in listed] == [
        ("API_KEY", "root"),
        ("DB_PASSWORD", "root"),
    ]
    assert await secrets.reveal_secrets(project.id) == {"API_KEY": "k", "DB_PASSWORD": "changed"}
    await secrets.delete_secret(catalog_admin, project.id, "API_KEY")
    with pytest.raises(NotFound, match="no secret named 'API_KEY'"):
        await secrets.delete_secret(catalog_admin, project.id, "API_KEY")
    events = await audit.list_events(target_type="secret")
    assert [(e.action, e.outcome, e.detail) for e in events][:3] == [
        ("secret.delete", "refused", "Project 'shop' has no secret named 'API_KEY'."),
        ("secret.delete", "ok", ""),
        ("secret.set", "ok", "replaced"),
    ]
    assert all("changed" not in e.detail and "s3cret" not in e.detail for e in events)


async def test_values_never_reach_the_database_in_clear(catalog_admin, project):
    await secrets.set_secret(catalog_admin, project.id, "TOKEN", "plain-value-123")
    rows = await Secret.select().run()
    assert "plain-value-123" not in repr(rows)


@pytest.mark.parametrize("name", ["1ABC", "with-dash", "with space", "", "x" * 65, "é"])
async def test_names_must_be_identifiers(catalog_admin, project, name):
    with pytest.raises(InvalidInput) as caught:
        await secrets.set_secret(catalog_admin, project.id, name, "v")
    assert caught.value.field == "name"


async def test_empty_value_and_non_admin_are_refused(catalog_admin, project):
    with pytest.raises(InvalidInput, match="Enter a value"):
        await secrets.set_secret(catalog_admin, project.id, "A", "")
    with pytest.raises(Forbidden):
        await secrets.set_secret(Actor(id=None, username="eve"), project.id, "A", "v")


async def test_tampered_ciphertext_is_reported_not_used(catalog_admin, project):
    await secrets.set_secret(catalog_admin, project.id, "A", "value")
    row = await Secret.select().first().run()
    head, sealed = row["ciphertext"].rsplit(":", 1)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    await Secret.update({Secret.ciphertext: f"{head}:{flipped}"}, force=True).run()
    with pytest.raises(crypto.DecryptionError, match="integrity check"):
        await secrets.reveal_secrets(project.id)


async def test_ciphertext_copied_to_another_project_does_not_open(catalog_admin, project):
    other = await create_project(catalog_admin, ProjectInput(name="other"))
    await secrets.set_secret(catalog_admin, project.id, "A", "value")
    await secrets.set_secret(catalog_admin, other.id, "A", "decoy")
    stolen = (await Secret.select().where(Secret.project == project.id).first().run())["ciphertext"]
    await Secret.update({Secret.ciphertext: stolen}).where(Secret.project == other.id).run()
    with pytest.raises(crypto.DecryptionError):
        await secrets.reveal_secrets(other.id)


async def test_rotation_re_encrypts_everything_under_the_new_key(
    catalog_admin, project, secret_key, tmp_path
):
    await secrets.set_secret(catalog_admin, project.id, "A", "alpha")
    await secrets.set_secret(catalog_admin, project.id, "B", "beta")
    reg = await registries.create_registry(
        catalog_admin,
        registries.RegistryInput(name="r", url="https://r.example", username="u", password="pw"),
    )
    sso = await sso_providers.create_provider(
        catalog_admin,
        sso_providers.ProviderInput(
            name="corp", issuer="https://sso.example", client_id="c", client_secret="cs"
        ),
    )
    new_key = crypto.generate_key()
    counts = await key_rotation.rotate_all([secret_key], new_key)
    assert counts == {
        "registries": 1,
        "secrets": 2,
        "nodes": 0,
        "step outputs": 0,
        "sign-in providers": 1,
        "preview webhook secrets": 0,
        "preview forge tokens": 0,
    }
    # Only the new key is needed now; the old one alone opens nothing.
    runtime.install(box=crypto.SecretBox(new_key))
    assert await secrets.reveal_secrets(project.id) == {"A": "alpha", "B": "beta"}
    assert (await registries.credentials(reg.id))[2] == "pw"
    assert (await sso_providers.client_config(sso.id)).client_secret == "cs"
    runtime.install(box=crypto.SecretBox(secret_key))
    with pytest.raises(crypto.DecryptionError, match="not configured"):
        await secrets.reveal_secrets(project.id)
    # A rerun is harmless: everything is already current.
    assert await key_rotation.rotate_all([secret_key], new_key) == {
        "registries": 0,
        "secrets": 0,
        "nodes": 0,
        "step outputs": 0,
        "sign-in providers": 0,
        "preview webhook secrets": 0,
        "preview forge tokens": 0,
    }


async def test_rotation_with_a_tampered_value_changes_nothing(catalog_admin, project, secret_key):
    await secrets.set_secret(catalog_admin, project.id, "A", "alpha")
    await registries.create_registry(
        catalog_admin, registries.RegistryInput(name="r", url="https://r.example", password="pw")
    )
    row = await Registry.select().first().run()
    broken = row["password_ciphertext"][:-4] + "AAAA"
    await Registry.update({Registry.password_ciphertext: broken}, force=True).run()
    before = await Secret.select(Secret.ciphertext).run()
    with pytest.raises(
        crypto.DecryptionError, match="Rotation aborted, nothing changed: registries"
    ):
        await key_rotation.rotate_all([secret_key], crypto.generate_key())
    assert await Secret.select(Secret.ciphertext).run() == before


def test_replace_key_file_keeps_the_old_key_beside_it(tmp_path):
    old = crypto.load_or_create_key(tmp_path).key
    new = crypto.generate_key()
    path = key_rotation.replace_key_file(tmp_path, new)
    assert crypto.key_from_settings(path.read_text()) == new
    assert (path.stat().st_mode & 0o777) == 0o600
    backup = tmp_path / f"secret.key.{crypto.key_id(old)}"
    assert crypto.key_from_settings(backup.read_text()) == old
