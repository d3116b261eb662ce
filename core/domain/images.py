"""Registry URLs and image names: what admins may type, and how Docker names the result.

Docker Hub is special twice: its API lives at registry-1.docker.io while images are pulled
by their short names, and official images (`nginx`) live under the `library/` namespace.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from core import validation
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
PATH_PART = re.compile(r"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$")


def check_registry_url(value: str, field: str = "url") -> str:
    """`https://host[:port][/path]`; a bare host gets https://. No credentials, query or tag.

    Parsed by hand rather than with urlsplit, which silently drops tabs and newlines and
    accepts any netloc: what is stored here becomes a request URL and a `docker pull` prefix."""
    value = value.strip()
    if not value:
        raise InvalidInput("Enter the registry URL, e.g. https://ghcr.io.", field)
    if len(value) > 512:
        raise InvalidInput("At most 512 characters.", field)
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise InvalidInput("The URL may not contain spaces or control characters.", field)
    scheme, _, rest = value.rstrip("/").rpartition("://")
    if not scheme and rest.lower().startswith(("http:", "https:")):
        raise InvalidInput("Use the form https://host[:port][/path].", field)
    scheme = scheme.lower() or "https"
    if scheme not in ("http", "https"):
        raise InvalidInput("The URL must start with https:// (or http://).", field)
    netloc, _, path = rest.partition("/")
    if "@" in netloc:
        raise InvalidInput("Put credentials in the username/password fields, not the URL.", field)
    if "?" in rest or "#" in rest:
        raise InvalidInput("Use the form https://host[:port][/path], without ? or #.", field)
    host, port = _host_and_port(netloc, field)
    if path and not all(PATH_PART.fullmatch(part) for part in path.split("/")):
        raise InvalidInput(
            "The URL's path may only hold lowercase names separated by single '/' "
            "(no '.', '..', '%' or empty parts).",
            field,
        )
    if host in DOCKER_HUB_HOSTS:
        return DOCKER_HUB_URL
    return f"{scheme}://{host}{port}" + (f"/{path}" if path else "")


def _host_and_port(netloc: str, field: str) -> tuple[str, str]:
    """(host as it goes in a URL, ":port" or ""), both checked; IPv6 only in brackets."""
    bracketed = netloc.startswith("[")
    if bracketed:
        inside, closed, after = netloc[1:].partition("]")
        host = inside if closed and after[:1] in ("", ":") else ""
    else:
        host, colon, port = netloc.partition(":")
        after = colon + port
    normal = validation.normal_host(host) if host else None
    if normal is None or bracketed != (":" in normal):
        raise InvalidInput(f"'{netloc[:80]}' is not a valid host name or IP address.", field)
    if after and not (re.fullmatch(r"[0-9]{1,5}", after[1:]) and 1 <= int(after[1:]) <= 65535):
        raise InvalidInput("The port must be a number from 1 to 65535.", field)
    return (f"[{normal}]" if bracketed else normal), (f":{int(after[1:])}" if after else "")


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
