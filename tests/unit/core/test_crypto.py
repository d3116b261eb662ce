"""The secret box: round trip, tamper detection, key ids, and master-key parsing."""

import base64
import os
import stat

import pytest

from core import crypto, runtime
from core.crypto import DecryptionError, KeyConfigError, SecretBox


def test_round_trip_and_fresh_nonce_each_time():
    box = SecretBox(crypto.generate_key())
    first = box.encrypt("hunter2", "ctx")
    second = box.encrypt("hunter2", "ctx")
    assert first != second and "hunter2" not in first
    assert box.decrypt(first, "ctx") == box.decrypt(second, "ctx") == "hunter2"
    assert first.split(":")[:2] == ["v1", box.primary_id]


def test_unicode_and_empty_values_survive():
    box = SecretBox(crypto.generate_key())
    for value in ["", "pässwörd ✓", "x" * 10_000]:
        assert box.decrypt(box.encrypt(value, "c"), "c") == value


@pytest.mark.parametrize("position", [2, 3])
def test_any_flipped_byte_is_detected(position):
    box = SecretBox(crypto.generate_key())
    parts = box.encrypt("value", "ctx").split(":")
    raw = bytearray(crypto._b64decode(parts[position]))
    raw[len(raw) // 2] ^= 1
    parts[position] = crypto._b64encode(bytes(raw))
    with pytest.raises(DecryptionError, match="integrity check"):
        box.decrypt(":".join(parts), "ctx")


def test_value_moved_to_another_context_is_refused():
    box = SecretBox(crypto.generate_key())
    stored = box.encrypt("value", crypto.secret_context(1, "A"))
    with pytest.raises(DecryptionError, match="integrity check"):
        box.decrypt(stored, crypto.secret_context(2, "A"))


@pytest.mark.parametrize("stored", ["", "plain text", "v1:abc", "v2:a:b:c", "v1:x:!!:??"])
def test_malformed_values_are_refused(stored):
    with pytest.raises(DecryptionError):
        SecretBox(crypto.generate_key()).decrypt(stored, "ctx")


def test_unknown_key_id_names_the_key():
    stored = SecretBox(crypto.generate_key()).encrypt("v", "ctx")
    with pytest.raises(DecryptionError, match="not configured"):
        SecretBox(crypto.generate_key()).decrypt(stored, "ctx")


def test_older_keys_decrypt_primary_encrypts():
    old, new = crypto.generate_key(), crypto.generate_key()
    stored = SecretBox(old).encrypt("v", "ctx")
    both = SecretBox(new, [old])
    assert both.decrypt(stored, "ctx") == "v"
    assert not both.is_current(stored)
    assert both.is_current(both.encrypt("v", "ctx"))


def test_key_from_settings_accepts_standard_and_urlsafe_base64():
    key = crypto.generate_key()
    assert crypto.key_from_settings(base64.b64encode(key).decode()) == key
    assert crypto.key_from_settings(base64.urlsafe_b64encode(key).decode().rstrip("=")) == key


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "No master key: set SHOAL_SECRET_KEY"),
        ("   ", "No master key"),
        (base64.b64encode(b"short").decode(), "decodes to 5"),
        ("not base64 at all!", "not valid base64"),
    ],
)
def test_key_from_settings_refuses_bad_keys(value, message):
    with pytest.raises(KeyConfigError, match=message):
        crypto.key_from_settings(value)


def test_load_or_create_key_writes_0600_once(tmp_path):
    first = crypto.load_or_create_key(tmp_path / "data")
    assert first.created and "Generated a new master key" in first.message
    mode = stat.S_IMODE(os.stat(first.path).st_mode)
    assert mode == 0o600
    again = crypto.load_or_create_key(tmp_path / "data")
    assert not again.created and again.key == first.key


def test_load_or_create_key_refuses_a_corrupt_file(tmp_path):
    (tmp_path / crypto.KEY_FILE).write_text("garbage")
    with pytest.raises(KeyConfigError, match=r"secret\.key"):
        crypto.load_or_create_key(tmp_path)


def test_box_must_be_configured():
    with runtime.entered(runtime.Runtime()), pytest.raises(KeyConfigError, match="not configured"):
        runtime.box()
