"""Token keys: only hashes stored; rotation and what a restart with AGENT_TOKEN means."""

import hashlib

import pytest

from agent.keys import NoToken, TokenKeys


def key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_first_start_stores_the_key_not_the_token(tmp_path):
    keys = TokenKeys.load(tmp_path, "t0")
    assert keys.current == key("t0")
    assert "t0" not in (tmp_path / "auth.json").read_text().replace(key("t0"), "")


def test_rotation_then_restart_with_the_old_env_token_keeps_the_rotated_key(tmp_path):
    TokenKeys.load(tmp_path, "t0").rotate(key("t1"))
    assert TokenKeys.load(tmp_path, "t0").current == key("t1")
    TokenKeys.load(tmp_path, "t0").rotate(key("t2"))
    assert TokenKeys.load(tmp_path, "t0").current == key("t2")
    assert TokenKeys.load(tmp_path, None).current == key("t2")


def test_a_different_env_token_wins(tmp_path):
    TokenKeys.load(tmp_path, "t0").rotate(key("t1"))
    assert TokenKeys.load(tmp_path, "fresh").current == key("fresh")


def test_no_token_anywhere_is_an_error(tmp_path):
    with pytest.raises(NoToken):
        TokenKeys.load(tmp_path, None)


def test_rotate_refuses_what_is_not_a_sha256(tmp_path):
    with pytest.raises(ValueError, match="64 hex"):
        TokenKeys.load(tmp_path, "t0").rotate("abc")
