"""The control plane's bound on a kept plugin log (core.services.step_logs.bounded)."""

from agent.protocol import STEP_LOG_BYTES
from core.services.step_logs import bounded


def test_a_log_within_the_bound_is_kept_whole():
    assert bounded("one\ntwo") == "one\ntwo"
    assert bounded("é" * (STEP_LOG_BYTES // 2)) == "é" * (STEP_LOG_BYTES // 2)


def test_a_longer_log_keeps_its_end_from_a_line_start_with_a_note():
    text = "".join(f"line {i}\n" for i in range(300_000)) + "the end"
    kept = bounded(text)
    note, first, *_ = kept.split("\n")
    dropped = int(note.removeprefix("[shoal: ").split()[0])
    assert note.endswith("bytes of earlier output not kept]") and first.startswith("line ")
    assert len(kept.encode()) - len(note) - 1 == len(text.encode()) - dropped
    assert len(kept.encode()) <= STEP_LOG_BYTES + 100 and kept.endswith("the end")


def test_a_cut_inside_a_multibyte_character_drops_it_cleanly():
    kept = bounded("€" * STEP_LOG_BYTES)  # 3 bytes each, no line at all
    assert set(kept.split("\n", 1)[1]) == {"€"}
