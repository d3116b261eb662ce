"""Registries (admin): list, add, edit, delete; test the connection; browse an image's tags.

Passwords are write-only: the form never shows the stored one (an empty field keeps it).
Saving tests the connection first; a registry that fails the test is saved only after the
admin confirms with "Save anyway" (the form comes back with the reason and every field
but the password, which is never sent back to the page).
The connection test and the tag browser are HTMX fragments that render their own errors, so
a registry that is down or slow leaves the page usable.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Router, get, post
from litestar.response import Redirect, Template

from core.actor import Actor
from core.errors import ShoalError
from core.services import registries
from web.forms import remove, submit
from web.guards import requires_admin
from web.params import IdParam
from web.rendering import as_int, form_data, page, redirect, refused

ADMIN_NAV = ("Registries", "/registries", 30)


def registry_input(data: dict[str, str]) -> registries.RegistryInput:
    return registries.RegistryInput(
        name=data.get("name", ""),
        url=data.get("url", ""),
        username=data.get("username", ""),
        password=data.get("password") or None,
        clear_password=data.get("clear_password") == "on",
    )


def refused_form(exc: ShoalError, data: dict[str, str]) -> dict[str, Any]:
    """The re-render's context: what was typed (never the password), and whether to offer
    saving untested."""
    typed_password = bool(data.pop("password", None))  # never echoed, not even just typed
    data.pop("save_untested", None)
    return {
        **refused(exc, data),
        "untested": isinstance(exc, registries.ConnectionTestFailed),
        "password_again": typed_password,
    }


def test_first(data: dict[str, str]) -> bool:
    return data.get("save_untested") != "on"


async def _index(request: Request, **extra: Any) -> Template:
    listed = await registries.list_registries()
    usage = {r.id: await registries.registry_usage(r.id) for r in listed}
    return page(request, "catalog/registries.html", registries=listed, usage=usage, **extra)


async def _detail(request: Request, registry_id: int, **extra: Any) -> Template:
    return page(
        request,
        "catalog/registry.html",
        registry=await registries.get_registry(registry_id),
        usage=await registries.registry_usage(registry_id),
        **extra,
    )


@get("/")
async def index(request: Request) -> Template:
    return await _index(request)


@post("/")
async def create(request: Request, actor: Actor) -> Template | Redirect:
    return await submit(
        request,
        lambda data: registries.create_registry(
            actor, registry_input(data), test_first=test_first(data)
        ),
        done=lambda made: redirect(f"/registries/{made.id}", f"Registry '{made.name}' added."),
        redraw=partial(_index, request),
        kept=refused_form,
    )


@get("/{registry_id:int}")
async def detail(request: Request, registry_id: IdParam) -> Template:
    return await _detail(request, registry_id)


@post("/{registry_id:int}")
async def update(request: Request, actor: Actor, registry_id: IdParam) -> Template | Redirect:
    return await submit(
        request,
        lambda data: registries.update_registry(
            actor, registry_id, registry_input(data), test_first=test_first(data)
        ),
        done=lambda _: redirect(f"/registries/{registry_id}", "Registry saved."),
        redraw=partial(_detail, request, registry_id),
        kept=refused_form,
    )


@post("/{registry_id:int}/delete")
async def delete(request: Request, actor: Actor, registry_id: IdParam) -> Template | Redirect:
    return await remove(
        registries.delete_registry(actor, registry_id),
        to="/registries",
        message="Registry deleted.",
        redraw=partial(_detail, request, registry_id),
    )


@post("/test")
async def test_connection(request: Request) -> Template:
    """HTMX: test the values in the form (an empty password reuses the stored one)."""
    data = await form_data(request)
    registry_id = as_int(data.get("registry_id"))
    try:
        message = await registries.check_connection(registry_id, registry_input(data))
        ok = True
    except ShoalError as exc:
        message, ok = exc.detail, False
    return page(request, "partials/catalog/registry_check.html", ok=ok, message=message)


@get("/{registry_id:int}/tags")
async def tags(
    request: Request,
    registry_id: IdParam,
    image: str = "",
    pattern: str = "",
    refresh: bool = False,
) -> Template:
    """HTMX: the tag browser's list (errors and hints rendered inside it)."""
    return await tag_list_fragment(request, registry_id, image, pattern, refresh)


async def tag_list_fragment(
    request: Request, registry_id: IdParam, image: str, pattern: str, refresh: bool
) -> Template:
    context: dict[str, Any] = {"registry_id": registry_id, "image": image, "pattern": pattern}
    if image.strip():
        try:
            context["listing"] = await registries.list_tags(
                registry_id, image, pattern, refresh=refresh
            )
        except ShoalError as exc:
            context["error"] = exc.detail
    return page(request, "partials/catalog/tag_list.html", **context)


router = Router(
    path="/registries",
    route_handlers=[index, create, detail, update, delete, test_connection, tags],
    guards=[requires_admin],
    include_in_schema=False,
)
