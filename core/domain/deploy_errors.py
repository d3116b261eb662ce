"""What a failed step's raw error means, in words a QA engineer can act on.

Agents report Docker's own text (`web: pull reg:5000/shop/web:v9: manifest for … not found:
manifest unknown`). Pages show the explanation first and keep the raw text one click away;
an error no rule knows is shown as it is.
"""

from __future__ import annotations

import re

import msgspec

# "<node>: pull <image>: <Docker's message>", as agent/pipeline.py and runtime/images.py write it.
PULL = re.compile(r"^(?:(?P<node>[a-z0-9-]+): )?pull (?P<image>\S+): (?P<reason>.*)$", re.S)
MISSING = ("manifest unknown", "not found", "does not exist")
DENIED = ("unauthorized", "authentication required", "denied", "no basic auth credentials")
UNREACHABLE = ("connection refused", "no such host", "i/o timeout", "dial tcp", "tls:")


class Explained(msgspec.Struct, frozen=True):
    message: str  # what happened and what to do
    raw: str  # the text as the agent reported it


def split_image(image: str) -> tuple[str, str]:
    """`reg:5000/app:v9` → (`reg:5000/app`, `v9`); a name without a tag means `latest`."""
    slash, colon = image.rfind("/"), image.rfind(":")
    if "@" not in image and colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, "latest"


def explain(raw: str) -> Explained | None:
    """The explanation of a known failure, or None when the raw text is all we can say."""
    found = PULL.match(raw.strip())
    if found is None:
        return None
    image, reason = found["image"], found["reason"].lower()
    repository, tag = split_image(image)
    if any(word in reason for word in DENIED):
        message = (
            f"The registry refused access to {repository}. An admin must check the registry's "
            "username and password (or the image name)."
        )
    elif any(word in reason for word in MISSING):
        message = (
            f"The image {image} does not exist in the registry (tag {tag} not found). "
            "Pick another tag."
        )
    elif any(word in reason for word in UNREACHABLE):
        message = (
            f"The node could not reach the registry of {repository}. Try again later, or ask "
            "an admin to check the registry's address and the node's network."
        )
    else:
        return None
    if found["node"]:
        message = f"{found['node']}: {message}"
    return Explained(message=message, raw=raw)
