"""The Compose Specification schema: errors name the path."""

import pytest

from core.domain.compose import ComposeInvalid
from core.domain.compose.schema import validate


def problems(document):
    with pytest.raises(ComposeInvalid) as caught:
        validate(document)
    return caught.value.problems


def test_a_valid_file_passes_with_extensions_and_a_name():
    validate(
        {
            "name": "shop",
            "x-common": {"anything": [1, 2]},
            "services": {"web": {"image": "nginx", "x-note": "fine"}},
        }
    )


def test_an_unknown_top_level_key_is_named():
    assert problems({"services": {}, "servics": {}}) == [
        "top level: unknown key 'servics' (extensions must start with 'x-')"
    ]


def test_wrong_types_name_their_path():
    found = problems(
        {"services": {"web": {"image": 3, "ports": [{"target": "eighty"}], "colour": "red"}}}
    )
    assert "services.web: unknown key 'colour' (extensions must start with 'x-')" in found
    assert "services.web.image: 3 is not of type 'string'" in found
    assert any(p.startswith("services.web.ports[0].target:") for p in found)


def test_a_bad_service_name_is_refused():
    assert problems({"services": {"bad name!": {"image": "x"}}})
