"""A small client of Shoal's JSON API for CI pipelines (`shoal deploy|delete|list`).

It only speaks HTTP to a running control plane (SHOAL_URL + SHOAL_TOKEN), so a CI runner
needs nothing but this package; every refusal becomes a `ClientError` whose message a person
can act on (which project names exist, that the token was refused, what the server said).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

# Docker's tag grammar; `/` is not allowed (distribution refuses `features/login`).
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
SERVICE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}")


class ClientError(Exception):
    """Something the person running the command must fix or know; `code` is the exit code
    (2 for bad input or a refused request, 1 for a deployment that failed or timed out)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def parse_tags(pairs: list[str]) -> dict[str, str]:
    """`["web=pr-42", "api=sha-1a2b3c4"]` → {"web": "pr-42", …}; a clear error otherwise."""
    tags: dict[str, str] = {}
    for pair in pairs:
        service, sep, tag = pair.partition("=")
        if not sep or not SERVICE.fullmatch(service) or not TAG.fullmatch(tag):
            raise ClientError(
                f"bad --tag '{pair}': write SERVICE=TAG, e.g. web=pr-42 (a tag is letters, "
                "digits, '_', '.' and '-', at most 128, and cannot start with '.' or '-')"
            )
        if service in tags:
            raise ClientError(f"--tag names service '{service}' twice")
        tags[service] = tag
    return tags


class ShoalClient:
    def __init__(self, url: str, token: str, transport: httpx.BaseTransport | None = None) -> None:
        if not url:
            raise ClientError("SHOAL_URL is not set (or pass --url): where Shoal answers")
        if not url.startswith(("http://", "https://")):
            raise ClientError(f"SHOAL_URL '{url}' must start with http:// or https://")
        if not token:
            raise ClientError("SHOAL_TOKEN is not set: create an API token under Account")
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {token}", "User-Agent": "shoal-cli"},
            timeout=30,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot reach Shoal at {self.url}: {exc}") from exc
        if response.status_code == 401:
            raise ClientError(f"Shoal refused SHOAL_TOKEN (401) at {self.url}")
        if response.status_code >= 400:
            raise ClientError(f"Shoal answered {response.status_code}: {_detail(response)}")
        return response.json() if response.content else None

    def project_id(self, name: str) -> int:
        return _by_name(self.request("GET", "/projects"), name, "project")

    def environment_id(self, name: str) -> int:
        return _by_name(self.request("GET", "/environments"), name, "environment")

    def live(self, project_id: int, name: str, environment_id: int | None = None) -> list[dict]:
        """The not-deleted deployments of that project (and environment) named `name`."""
        params: dict[str, int] = {"project_id": project_id, "limit": 1000}
        if environment_id is not None:
            params["environment_id"] = environment_id
        found = self.request("GET", "/deployments", params=params)
        return [d for d in found if d["name"] == name and d["status"] != "deleted"]

    def deployments(self, project_id: int | None = None) -> list[dict]:
        params = {"limit": 1000} | ({"project_id": project_id} if project_id else {})
        return self.request("GET", "/deployments", params=params)

    def get(self, deployment_id: int) -> dict | None:
        """None once it is gone from the caller's sight (deleted long ago, or never visible)."""
        try:
            response = self._http.get(f"/deployments/{deployment_id}")
        except httpx.HTTPError as exc:
            raise ClientError(f"cannot reach Shoal at {self.url}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code == 401:
            raise ClientError(f"Shoal refused SHOAL_TOKEN (401) at {self.url}")
        if response.status_code >= 400:
            raise ClientError(f"Shoal answered {response.status_code}: {_detail(response)}")
        return response.json()

    def create(self, project_id: int, environment_id: int, name: str, tags: dict) -> dict:
        body = {"project_id": project_id, "environment_id": environment_id, "name": name}
        return self.request("POST", "/deployments", json=body | {"tags": tags})

    def delete(self, deployment_id: int) -> dict:
        return self.request("DELETE", f"/deployments/{deployment_id}")

    def extend(self, deployment_id: int, hours: int) -> dict:
        return self.request("POST", f"/deployments/{deployment_id}/extend", json={"hours": hours})


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    return str(body.get("detail", body)) if isinstance(body, dict) else str(body)


def _by_name(rows: list[dict], name: str, kind: str) -> int:
    for row in rows:
        if row["name"] == name:
            return row["id"]
    known = ", ".join(sorted(r["name"] for r in rows)) or "none"
    raise ClientError(f"unknown {kind} '{name}' (the ones this token may see: {known})")
