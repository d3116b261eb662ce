"""Which step outputs are sensitive, decided the same way on both sides of the wire.

A plugin's schema names its secret outputs (``"x-secret-outputs"``, sent to the agent as
``PluginConfig.secret_outputs``). Any other output is sensitive where its text holds a secret
value: a project secret, or the value of a secret output of the same step, as is or URL-encoded
(``quote``, ``quote_plus``: a connection URL carries its password encoded). The control plane
shows read-level users a masked copy and seals the real outputs; the agent writes only the
outputs that hold nothing sensitive to its disk and keeps the real ones in memory.

Short secrets mask more than they should (a secret "5432" hides every port): hiding too much
is the safe mistake, and full-access users can reveal the real values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "********"  # ASCII: survives JSON escaping on pages and in terminals


def secret_forms(values: Iterable[str]) -> list[str]:
    """Every text in which one of `values` is recognised, longest first (so a value that
    contains another is replaced whole)."""
    forms: set[str] = set()
    for value in values:
        if value:
            forms.update((value, quote(value, safe=""), quote(value), quote_plus(value)))
    return sorted(forms, key=len, reverse=True)


def secret_texts(outputs: dict[str, Any], secret_keys: Iterable[str]) -> list[str]:
    """The values of a step's secret outputs, as texts: secrets for the steps after it too."""
    return [text for key in secret_keys if key in outputs for text in _texts(outputs[key])]


def _texts(value: Any) -> list[str]:
    """The texts inside one output value (numbers count: a PIN may be one)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    return []


def _mask(value: Any, forms: list[str]) -> Any:
    if isinstance(value, str):
        for form in forms:
            if form in value:
                value = value.replace(form, MASK)
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return MASK if str(value) in forms else value
    if isinstance(value, list):
        return [_mask(item, forms) for item in value]
    if isinstance(value, dict):
        return {key: _mask(item, forms) for key, item in value.items()}
    return value


def mask_outputs(
    outputs: dict[str, Any], secret_keys: Iterable[str], secrets: Iterable[str]
) -> tuple[dict[str, Any], list[str]]:
    """The outputs with every sensitive text replaced by MASK (a secret output entirely), and
    the keys that were hidden in whole or in part."""
    keys = set(secret_keys)
    forms = secret_forms([*secrets, *secret_texts(outputs, keys)])
    masked: dict[str, Any] = {}
    hidden: list[str] = []
    for key, value in outputs.items():
        masked[key] = MASK if key in keys else _mask(value, forms)
        if key in keys or masked[key] != value:
            hidden.append(key)
    return masked, hidden


def insensitive_outputs(
    outputs: dict[str, Any], secret_keys: Iterable[str], secrets: Iterable[str]
) -> dict[str, Any]:
    """Only the outputs that hold nothing sensitive: what may be written to a disk."""
    _, hidden = mask_outputs(outputs, secret_keys, secrets)
    return {key: value for key, value in outputs.items() if key not in hidden}
