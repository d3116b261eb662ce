"""Small field checks shared by services; each raises InvalidInput naming the field."""

import ipaddress
import re

from core.errors import InvalidInput

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def username(value: str, field: str = "username") -> str:
    value = value.strip().lower()
    if not USERNAME.fullmatch(value):
        raise InvalidInput(
            "Use 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.",
            field,
        )
    return value


def text(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput("This field is required.", field)
    if len(value) > max_length:
        raise InvalidInput(f"At most {max_length} characters.", field)
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise InvalidInput("Control characters are not allowed.", field)
    return value


def dns_label(value: str, field: str = "name") -> str:
    value = value.strip().lower()
    if not DNS_LABEL.fullmatch(value):
        raise InvalidInput(
            "Use 1-63 lowercase letters, digits or '-', not starting or ending with '-'.", field
        )
    return value


def one_of(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"Must be one of: {', '.join(allowed)}.", field)
    return value


def normal_host(value: str) -> str | None:
    """`value` as a host name (RFC 1123 labels, lowercased, no trailing dot) or an IP address
    (IPv6 without brackets), normalised; None if it is neither. Pure ASCII only: an
    internationalised name must be typed in its xn-- form."""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    name = value.lower()
    labels = name.split(".")
    if not name.isascii() or len(name) > 253 or not all(DNS_LABEL.fullmatch(x) for x in labels):
        return None
    return None if labels[-1].isdigit() else name  # 1.2.3.999 is a broken address, not a name
