"""A plugin run's stderr as the control plane keeps it with the step: the last STEP_LOG_BYTES of
it (a plugin that writes 100 MB costs a megabyte or two here), with the secrets the agent knows
masked: the project's, and the values of earlier steps' secret outputs. Raw bytes are held and
decoded and masked once at the end, so a flood of short lines costs no work per line; the live
stream (runtime.attach.StderrLines) masks the lines it forwards with `mask`."""

from __future__ import annotations

from collections.abc import Iterable

from agent.protocol import STEP_LOG_BYTES
from agent.protocol.redaction import MASK, secret_forms

HEADER_ROOM = 256  # the note about dropped output fits in the bound with the body


class StepLog:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.forms = secret_forms(secrets)
        self.tail = bytearray()
        self.total = 0  # bytes written in all

    def keep(self, data: bytes) -> None:
        """Called with every chunk of stderr, from the thread that reads it."""
        self.tail += data
        self.total += len(data)
        if len(self.tail) > 2 * STEP_LOG_BYTES:  # trimmed now and then, not on every chunk
            del self.tail[:-STEP_LOG_BYTES]

    def mask(self, text: str, also: Iterable[str] = ()) -> str:
        for form in [*self.forms, *secret_forms(also)]:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def last(self, count: int) -> list[str]:
        return self.text().splitlines()[-count:] if self.tail else []

    def text(self, also: Iterable[str] = ()) -> str:
        """The kept log; `also` = secrets learnt since (the step's own secret outputs)."""
        data = bytes(self.tail[-(STEP_LOG_BYTES - HEADER_ROOM) :])
        dropped = self.total - len(data)
        if dropped and b"\n" in data:  # start on a whole line: no half secret at the cut
            cut = data.index(b"\n") + 1
            data, dropped = data[cut:], dropped + cut
        lines = data.decode(errors="replace").split("\n")
        body = self.mask("\n".join(line.rstrip("\r") for line in lines).rstrip("\n"), also)
        if dropped:
            return f"[shoal: {dropped} bytes of earlier output not kept]\n{body}"
        return body
