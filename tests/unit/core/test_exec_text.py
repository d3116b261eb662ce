"""How one-shot exec output is handed back (core/services/execs.py): UTF-8 as text, anything
else as base64; a character the byte limit cut in half does not turn text into base64."""

from __future__ import annotations

import base64

import pytest

from core.errors import InvalidInput
from core.services.execs import argv_of, as_text


def test_utf8_is_text_and_anything_else_base64():
    assert as_text("héllo\n".encode(), False) == ("héllo\n", "utf-8")
    assert as_text(b"\xff\xfe", False) == (base64.b64encode(b"\xff\xfe").decode(), "base64")


def test_a_character_cut_by_the_limit_is_left_out():
    cut = "aé".encode()[:2]  # "a" and the first byte of "é"
    assert as_text(cut, True) == ("a", "utf-8")
    assert as_text(cut, False)[1] == "base64"  # not cut by us: it is what the command wrote


def test_a_string_runs_in_sh_and_bad_commands_are_refused():
    assert argv_of("echo $HOME") == ["sh", "-c", "echo $HOME"]
    assert argv_of(["ls", "-l"]) == ["ls", "-l"]
    for bad in ([], "  ", [""], ["a\x00b"], "x" * 20000):
        with pytest.raises(InvalidInput):
            argv_of(bad)
