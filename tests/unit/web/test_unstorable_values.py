"""A value PostgreSQL refuses that no check caught is the request's fault: 400, not 500."""

import asyncpg
import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from core.errors import UNSTORABLE
from web.errors import EXCEPTION_HANDLERS


@pytest.mark.parametrize(
    "refusal",
    [
        asyncpg.exceptions.CharacterNotInRepertoireError('invalid byte sequence for "UTF8": 0x00'),
        asyncpg.exceptions.DataError("invalid input for query argument $1 (value out of range)"),
        asyncpg.exceptions.NumericValueOutOfRangeError("integer out of range"),
    ],
)
def test_a_refused_value_is_a_400_json_error(refusal):
    @get("/api/v1/thing", sync_to_thread=False)
    def thing() -> None:
        raise refusal

    app = Litestar([thing], exception_handlers=EXCEPTION_HANDLERS)  # type: ignore[arg-type]
    with TestClient(app) as client:
        answer = client.get("/api/v1/thing")
    assert answer.status_code == 400
    assert answer.json() == {"status_code": 400, "detail": UNSTORABLE}
