"""The config panel of one pipeline node, rendered on the server when the node is selected.

The editor posts the whole graph it holds (unsaved changes included) and the selected node
id; the answer is a form whose inputs carry `data-path` (where the value goes in the node)
and `data-type` (how to read it), which pipeline-editor.js applies as the admin types.
A plugin's form is generated from its parameter JSON Schema; a service's form offers the
settings a node may override. Reference pickers list what `${{ … }}` may name from here:
the project's secrets, the deployment, the outputs of nodes that run before, service URLs.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar import Request, Router, post
from litestar.response import Template

from core.actor import Actor
from core.domain.pipeline import Graph, ancestors
from core.errors import NotFound
from core.services import catalog, plugins, secrets
from web.guards import requires_login
from web.pages.pipelines import visible
from web.params import IdParam
from web.rendering import form_data, page

SIMPLE_TYPES = {"string", "integer", "number", "boolean"}


def schema_fields(schema: dict[str, Any], params: dict[str, Any]) -> list[dict[str, Any]]:
    """One descriptor per top-level property: how to draw it and what it holds now."""
    required = set(schema.get("required") or [])
    fields = []
    for name, spec in (schema.get("properties") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        kind = spec.get("type")
        if "enum" in spec:
            kind = "enum"
        elif isinstance(kind, list):  # e.g. ["string", "null"]: the first simple type
            kind = next((k for k in kind if k in SIMPLE_TYPES), "json")
        elif kind not in SIMPLE_TYPES:
            kind = "json"
        value = params.get(name, None)
        if kind == "json" and value is not None:
            shown = json.dumps(value, indent=2)
        elif kind == "enum":
            shown = json.dumps(value) if name in params else ""
        else:
            shown = "" if value is None else value
        fields.append(
            {
                "name": name,
                "label": spec.get("title") or name,
                "type": kind,
                "required": name in required,
                "description": spec.get("description", ""),
                "default": spec.get("default"),
                "has_default": "default" in spec,
                "options": [(json.dumps(v), str(v)) for v in spec.get("enum", [])],
                "value": shown,
                "is_set": name in params,
            }
        )
    return fields


def reference_choices(graph: Graph, node_id: str, secret_names: list[str]) -> list[tuple]:
    """(group, text) pairs for the reference pickers of `node_id`."""
    kinds = {n.id: n.kind for n in graph.nodes}
    before = sorted(ancestors(graph).get(node_id, set()))
    choices = [("Secrets", f"${{{{ secrets.{name} }}}}") for name in secret_names]
    choices.append(("Deployment", "${{ deployment.name }}"))
    choices += [
        ("Outputs of nodes that run before", f"${{{{ nodes.{n}.outputs.KEY }}}}")
        for n in before
        if kinds.get(n) == "plugin"
    ]
    choices += [
        ("Service URLs", f"${{{{ urls.{n} }}}}")
        for n in kinds
        if kinds[n] == "service" and n != node_id
    ]
    return choices


@post("/panel")
async def panel(request: Request, actor: Actor, project_id: IdParam) -> Template:
    await visible(actor, project_id)
    data = await form_data(request)
    try:
        graph = msgspec.json.decode(data.get("graph", "{}"), type=Graph)
    except msgspec.DecodeError:
        graph = Graph()
    node = next((n for n in graph.nodes if n.id == data.get("node")), None)
    readonly = not actor.is_admin or data.get("readonly") == "1"  # e.g. an old version's view
    context: dict[str, Any] = {"node": node, "readonly": readonly, "item": None}
    if node is not None:
        names = [s.name for s in await secrets.list_secrets(project_id)]
        context["choices"] = reference_choices(graph, node.id, names)
        config = node.config
        try:
            if node.kind == "plugin":
                context["item"] = await plugins.get_plugin(int(config.get("plugin_id", 0)))
                params = config.get("params") if isinstance(config.get("params"), dict) else {}
                context["fields"] = schema_fields(context["item"].param_schema, params)
                context["params_text"] = json.dumps(params, indent=2) if params else ""
            elif node.kind == "service":
                service_id = int(config.get("service_id", 0))
                context["item"] = await catalog.get_service(service_id, actor)
                env = config.get("env") if isinstance(config.get("env"), dict) else {}
                context["env_text"] = "\n".join(f"{k}={v}" for k, v in env.items())
        except (NotFound, ValueError, TypeError):
            context["item"] = None
    return page(request, "partials/pipelines/panel.html", project_id=project_id, **context)


router = Router(
    path="/projects/{project_id:int}/pipeline",
    route_handlers=[panel],
    guards=[requires_login],
    include_in_schema=False,
)
