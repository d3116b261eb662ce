"""The Jinja environment: autoescaping on everywhere, plus the few filters pages share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup

from core.domain import deploy_errors
from web.row_cache import RowCache

STATIC_VERSION = "3"  # bump when app.js or app.css change what pages rely on

# Everything a deployment list row shows, and so its cache key (see web/row_cache.py).
DEPLOYMENT_ROW_FIELDS = (
    "id",
    "name",
    "project_name",
    "environment_name",
    "status",
    "expires_at",
    "created_by",
    "tags",
    "urls",
    "scheduled",
)
# The fields among them that hold a dict (the cache key holds them as sorted pairs).
DEPLOYMENT_ROW_MAPPINGS = ("tags", "urls")


def ago(value: datetime | None) -> str:
    """'3 days ago' style text; exact time goes in a title attribute beside it."""
    if value is None:
        return "never"
    seconds = int((datetime.now(UTC) - value).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"


@pass_context
def csrf_field(context: Context) -> Markup:
    """The hidden CSRF input every form that posts carries: `{{ csrf_field() }}`."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(
        context.get("csrf_token", "")
    )


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def make_template_engine(directory: Path) -> JinjaTemplateEngine:
    environment = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the code and change only with it; checking every file's
        # mtime on each render cost a few percent of the hottest pages.
        auto_reload=False,
    )
    environment.filters.update(ago=ago, when=when, explain_error=deploy_errors.explain)
    environment.globals.update(
        csrf_field=csrf_field,
        static_version=STATIC_VERSION,
        deployment_rows=RowCache(
            environment,
            "partials/deployments/row.html",
            fields=DEPLOYMENT_ROW_FIELDS,
            size=10_000,
            mappings=DEPLOYMENT_ROW_MAPPINGS,
        ),
    )
    return JinjaTemplateEngine(engine_instance=environment)
