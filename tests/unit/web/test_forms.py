"""The form helper's flow (web/forms.py) on its own: what a refusal redraws, what never comes
back, which refusals skip the form, and what a success answers. The pages using it are tested
against the real app in tests/integration."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.response import Redirect

from core.errors import Conflict, InvalidInput, NotFound
from web import forms

TYPED = {"name": "Typed", "password": "hunter2-typed", "events": ["ready"]}


def reader(data: dict[str, Any]) -> forms.Reader:
    async def read(_: object) -> dict[str, Any]:
        return dict(data)

    return read


async def drawn(**context: Any) -> Any:
    return context


def refuse(exc: Exception) -> Any:
    async def call(_: object) -> None:
        raise exc

    return call


async def test_a_refusal_redraws_with_the_error_beside_its_field_the_input_and_its_status():
    answer = await forms.submit(
        None,  # type: ignore[arg-type]
        refuse(InvalidInput("Too short.", "name")),
        done=lambda _: Redirect("/never"),
        redraw=drawn,
        read=reader(TYPED),
    )
    assert answer == {"errors": {"name": "Too short."}, "status_code": 422, "form": TYPED}


async def test_write_only_fields_never_come_back_and_a_second_form_keeps_its_own_input():
    kept = forms.keep_except("password")(Conflict("Taken.", "name"), TYPED)
    assert kept["form"] == {"name": "Typed", "events": ["ready"]}
    second = forms.keep_as("mapping_form")(Conflict("Taken."), TYPED)
    assert second == {"errors": {"": "Taken."}, "status_code": 409, "mapping_form": TYPED}
    assert "form" not in second


async def test_a_refusal_named_in_raises_skips_the_form():
    with pytest.raises(NotFound):
        await forms.submit(
            None,  # type: ignore[arg-type]
            refuse(NotFound("No such deployment.")),
            done=lambda _: Redirect("/never"),
            redraw=drawn,
            read=reader(TYPED),
            raises=(NotFound,),
        )


async def test_success_may_answer_with_a_page_shown_once():
    async def saved(data: dict[str, Any]) -> str:
        return data["name"]

    async def shown(name: str) -> Any:
        return {"shown_once": name}

    answer = await forms.submit(
        None,  # type: ignore[arg-type]
        saved,
        done=shown,
        redraw=drawn,
        read=reader(TYPED),
    )
    assert answer == {"shown_once": "Typed"}


async def test_a_refused_button_goes_back_with_an_error_notice():
    async def refused() -> None:
        raise Conflict("Nothing to approve.")

    answer = await forms.act(refused(), back="/nodes/3", done=lambda _: Redirect("/never"))
    assert isinstance(answer, Redirect) and answer.url == "/nodes/3"
    assert "Nothing%20to%20approve." in answer.cookies[0].value
    assert "error" in answer.cookies[0].value


async def test_a_delete_without_a_message_reports_what_the_service_did():
    async def retired() -> str:
        return "Plugin 'seed' removed from the catalog."

    answer = await forms.remove(retired(), to="/plugins", redraw=drawn)
    assert isinstance(answer, Redirect) and "removed%20from%20the%20catalog" in (
        answer.cookies[0].value
    )
    refused = await forms.remove(refuse(Conflict("Still used."))(None), to="/x", redraw=drawn)
    assert refused == {"flash": {"level": "error", "message": "Still used."}, "status_code": 409}
