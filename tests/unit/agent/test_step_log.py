"""A plugin step's kept stderr (agent.step_log) and the live stream beside it: bounded to the last
STEP_LOG_BYTES whatever a plugin writes, secrets masked."""

from __future__ import annotations

from agent import protocol as p
from agent.protocol.redaction import MASK
from agent.runtime.attach import StderrLines
from agent.step_log import StepLog


def test_100_mb_of_stderr_keeps_the_last_megabyte_from_a_line_start():
    log = StepLog()
    live: list[str] = []
    lines = StderrLines(live.append, log.keep)
    chunk = b"a line of plugin chatter\n" * 2600  # about 64 KB, as the attach stream reads
    for _ in range(100 * 1024 * 1024 // len(chunk)):
        lines.feed(chunk)
    lines.feed(b"the last line\n")
    lines.finish()
    text = log.text()
    assert len(text.encode()) <= p.STEP_LOG_BYTES
    header, first, *_ = text.split("\n")
    assert header.startswith("[shoal: ") and header.endswith(" bytes of earlier output not kept]")
    assert first == "a line of plugin chatter"  # no half line at the cut
    assert text.endswith("the last line")
    assert len(log.tail) <= 2 * p.STEP_LOG_BYTES
    assert sum(len(line) for line in live) < 1.1 * 1024 * 1024  # the live stream is capped
    assert log.last(2) == ["a line of plugin chatter", "the last line"]


def test_secrets_and_late_secrets_are_masked():
    log = StepLog(["hunter2", "p@ss word"])
    log.keep(b"password=hunter2\nurl=postgres://u:p%40ss%20word@db/x\n")
    log.keep(b"generated=xyz-123\r\n")
    text = log.text(also=["xyz-123"])
    assert text == f"password={MASK}\nurl=postgres://u:{MASK}@db/x\ngenerated={MASK}"
    assert log.mask("a hunter2 line") == f"a {MASK} line"


def test_a_small_log_is_kept_whole_without_a_note():
    log = StepLog()
    log.keep(b"one\ntwo")
    assert log.text() == "one\ntwo" and StepLog().text() == ""
