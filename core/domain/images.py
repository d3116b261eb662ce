"""Registry URLs and image names: what admins may type, and how Docker names the result.

Docker Hub is special twice: its API lives at registry-1.docker.io while images are pulled
by their short names, and official images (`nginx`) live under the `library/` namespace.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from core.errors import InvalidInput

DOCKER_HUB_URL = "https://registry-1.docker.io"
DOCKER_HUB_HOSTS = {
    "registry-1.docker.io",
    "docker.io",
    "index.docker.io",
    "registry.hub.docker.com",
}
IMAGE = re.compile(
    r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$"
)
HOST = re.compile(r"^[A-Za-z0-9.-]+(?::\d{1,5})?$")


def check_registry_url(value: str, field: str = "url") -> str:
    """`https://host[:port][/path]`; a bare host gets https://. No credentials, query or tag."""
    value = value.strip().rstrip("/")
    if not value:
        raise InvalidInput("Enter the registry URL, e.g. https://ghcr.io.", field)
    if "://" not in value:
        value = f"https://{value}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("The URL must start with https:// (or http://).", field)
    if parts.username or parts.password:
        raise InvalidInput("Put credentials in the username/password fields, not the URL.", field)
    if parts.query or parts.fragment or not parts.netloc or not HOST.fullmatch(parts.netloc):
        raise InvalidInput("Use the form https://host[:port][/path].", field)
    if len(value) > 512:
        raise InvalidInput("At most 512 characters.", field)
    if parts.hostname in DOCKER_HUB_HOSTS:
        return DOCKER_HUB_URL
    return value


def check_image(value: str, field: str = "image") -> str:
    value = value.strip()
    if ":" in value or "@" in value:
        raise InvalidInput(
            "Give the image without a tag or digest; the tag has its own field.", field
        )
    if not value or len(value) > 256 or not IMAGE.fullmatch(value):
        raise InvalidInput(
            "Use lowercase path components of letters, digits, '.', '_' or '-' separated by "
            "'/', e.g. team/app.",
            field,
        )
    return value


def is_docker_hub(registry_url: str) -> bool:
    return urlsplit(registry_url).hostname in DOCKER_HUB_HOSTS


def repository(registry_url: str, image: str) -> str:
    """The repository path the v2 API uses (`nginx` → `library/nginx` on Docker Hub)."""
    if is_docker_hub(registry_url) and "/" not in image:
        return f"library/{image}"
    return image


def pull_reference(registry_url: str, image: str, tag: str) -> str:
    """What `docker pull` takes: `nginx:1.27` for Docker Hub, `host:port/path/image:tag` else."""
    if is_docker_hub(registry_url):
        return f"{image}:{tag}"
    parts = urlsplit(registry_url)
    return f"{parts.netloc}{parts.path.rstrip('/')}/{image}:{tag}"
