"""`shoal rotate-key` re-seals a preview rule's webhook secret and forge token too: after the
rotation the new key alone opens them (before, a rule's secrets stayed under the old key)."""

from __future__ import annotations

import pytest

from core import crypto, runtime
from core.services import key_rotation, preview_rules

from .conftest import SECRET


async def test_rotation_reseals_a_rules_webhook_secret_and_token(pworld):
    old_key = crypto.generate_key()
    runtime.install(box=crypto.SecretBox(old_key))
    await preview_rules.update_rule(
        pworld.admin,
        pworld.rule_id,
        preview_rules.RuleInput(
            environment_id=pworld.env_id,
            repository="Codertocat/Hello-World",
            tag_templates={"web": "pr-{number}"},
            webhook_secret=SECRET,
            api_token="forge-token-2",
        ),
    )
    new_key = crypto.generate_key()
    counts = await key_rotation.rotate_all([old_key], new_key)
    assert counts["preview webhook secrets"] == 1 and counts["preview forge tokens"] == 1
    runtime.install(box=crypto.SecretBox(new_key))  # the new key alone
    row = await preview_rules.rule_row(pworld.rule_id)
    assert preview_rules.webhook_secret(row) == SECRET
    assert preview_rules.api_token(row) == "forge-token-2"
    runtime.install(box=crypto.SecretBox(old_key))
    with pytest.raises(crypto.DecryptionError):
        preview_rules.webhook_secret(row)
