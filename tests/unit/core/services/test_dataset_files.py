"""A dataset file the control plane's disk cannot take is an Unavailable error saying so, with
nothing kept, not a crash."""

from pathlib import Path

import pytest

from core.errors import Unavailable
from core.services.dataset_files import receive


async def chunks():
    yield b"PGDMP" + b"x" * 100


async def test_a_disk_that_cannot_take_the_file_is_a_clear_error(tmp_path: Path):
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("a file where the data dir should be")
    with pytest.raises(Unavailable, match="could not store the file"):
        await receive(chunks(), not_a_dir, 1 << 20)
