"""Images: make one available locally, pulling with the run message's registry credentials.

An image named with a registry host (`127.0.0.1:5000/app:v1`, `registry.example/app:v1`) is
always pulled, so a moved tag is picked up and refused credentials fail the step even when an
old copy is cached. A bare name (`busybox:1.36`) is pulled only when it is not present.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from agent.protocol import RegistryCredential
from agent.runtime import APIError, Docker, ImageNotFound

PROGRESS_EVERY_S = 0.5


class ImagePullError(Exception):
    pass


def registry_host(image: str) -> str | None:
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


def split_reference(image: str) -> tuple[str, str]:
    if "@" in image:
        repo, digest = image.split("@", 1)
        return repo, digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, "latest"


def ensure_image(
    docker_: Docker,
    image: str,
    credentials: Iterable[RegistryCredential],
    progress: Callable[[str], None],
) -> None:
    host = registry_host(image)
    if host is None:
        try:
            docker_.run(lambda c: c.api.inspect_image(image))
            return
        except ImageNotFound:
            pass
    auth = _auth_for(host, credentials)
    repo, tag = split_reference(image)
    progress(f"pulling {image}")
    docker_.run(lambda c: _pull(c, image, repo, tag, auth, progress))
    progress(f"pulled {image}")


def is_present(docker_: Docker, image: str) -> bool:
    try:
        docker_.run(lambda c: c.api.inspect_image(image))
    except ImageNotFound:
        return False
    return True


def pull(docker_: Docker, image: str, credentials: Iterable[RegistryCredential]) -> None:
    """Pull `image` whatever is cached (raises ImagePullError with dockerd's reason)."""
    auth = _auth_for(registry_host(image), credentials)
    repo, tag = split_reference(image)
    docker_.run(lambda c: _pull(c, image, repo, tag, auth, lambda _status: None))


def _auth_for(host: str | None, credentials: Iterable[RegistryCredential]) -> dict[str, str] | None:
    return next(
        (
            {"username": cred.username, "password": cred.password, "serveraddress": cred.registry}
            for cred in credentials
            if cred.registry == host
        ),
        None,
    )


def _pull(client, image: str, repo: str, tag: str, auth, progress) -> None:
    last = 0.0
    try:
        for chunk in client.api.pull(repo, tag, stream=True, decode=True, auth_config=auth):
            # dockerd reports failures inside the stream, not as an HTTP error.
            if "error" in chunk:
                raise ImagePullError(f"pull {image}: {chunk['error']}")
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S:
                last = now
                progress(" ".join(str(chunk.get(k, "")) for k in ("status", "progress")).strip())
    except APIError as error:
        raise ImagePullError(f"pull {image}: {error.explanation or error}") from error
