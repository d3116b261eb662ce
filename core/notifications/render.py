"""One event's message for each channel kind: short, with the deployment's name, project,
environment, who, what happened, its URLs and a link to its page. Renderers take Facts (which
hold no secret) and return the JSON-able payload stored with the delivery and sent as is."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import msgspec

from core.notifications.facts import Facts

SCHEMA_VERSION = 1


def headline(facts: Facts) -> str:
    if facts.deployment:
        d = facts.deployment
        return f"{d['name']} ({d['project']} in {d['environment']}) {facts.title}"
    if facts.node:
        return f"Node {facts.node['name']} ({facts.node['environment']}) {facts.title}"
    return f"Shoal {facts.title}"


def lines(facts: Facts) -> list[tuple[str, str]]:
    """(label, text) pairs every kind shows, in order; empty ones are left out."""
    found = [
        ("By", facts.who if facts.kind == "deleted" else ""),
        ("Created by", facts.who if facts.kind != "deleted" and facts.deployment else ""),
        ("Failed step", facts.step),
        ("Error", facts.error[:500]),
        ("Expires", facts.expires_at and f"{facts.expires_at} (in {facts.minutes_left} min)"),
    ]
    found += [(f"URL {name}", url) for name, url in sorted(facts.urls.items())]
    return [(label, text) for label, text in found if text]


def _links(facts: Facts) -> list[tuple[str, str]]:
    found = [("Open in Shoal", facts.link), ("Extend", facts.extend_link)]
    return [(label, url) for label, url in found if url]


def webhook(facts: Facts) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, **msgspec.to_builtins(facts)}


def slack(facts: Facts) -> dict[str, Any]:
    """Slack's incoming-webhook JSON (Mattermost and Rocket.Chat read `text` and blocks too)."""
    fields = [{"type": "mrkdwn", "text": f"*{label}*\n{text}"} for label, text in lines(facts)]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline(facts)}*"}}
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields[:10]})
    buttons = [
        {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}
        for label, url in _links(facts)
    ]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return {"text": f"{headline(facts)}: {facts.link}", "blocks": blocks}


def teams(facts: Facts) -> dict[str, Any]:
    """A Teams incoming webhook / workflow message with one Adaptive Card."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": headline(facts), "weight": "Bolder", "wrap": True},
            {
                "type": "FactSet",
                "facts": [{"title": label, "value": text} for label, text in lines(facts)],
            },
        ],
        "actions": [
            {"type": "Action.OpenUrl", "title": label, "url": url} for label, url in _links(facts)
        ],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def email(facts: Facts) -> dict[str, Any]:
    """Subject, a plain-text part and an HTML part (the recipients come from the channel)."""
    subject = f"[Shoal] {headline(facts)}"
    body = [headline(facts), ""] + [f"{label}: {text}" for label, text in lines(facts)]
    body += [""] + [f"{label}: {url}" for label, url in _links(facts)]
    e = html.escape
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in lines(facts))
    links = " · ".join(f'<a href="{e(url)}">{e(label)}</a>' for label, url in _links(facts))
    markup = (
        f"<html><body><h2>{e(headline(facts))}</h2>"
        f'<table style="text-align:left">{rows}</table><p>{links}</p></body></html>'
    )
    return {"subject": subject, "text": "\n".join(body) + "\n", "html": markup}


RENDERERS: dict[str, Callable[[Facts], dict[str, Any]]] = {
    "slack": slack,
    "teams": teams,
    "email": email,
    "webhook": webhook,
}


def render(kind: str, facts: Facts) -> dict[str, Any]:
    return RENDERERS[kind](facts)
