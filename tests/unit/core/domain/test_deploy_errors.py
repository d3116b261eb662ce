"""Raw Docker errors from agents → what happened and what to do (issue 16, item 7)."""

import pytest

from core.domain.deploy_errors import explain, split_image

MISSING_TAG = (
    "web: pull 127.0.0.1:5000/shop/web:v9: manifest for 127.0.0.1:5000/shop/web:v9 not found: "
    "manifest unknown: manifest unknown"
)


def test_a_missing_tag_names_the_image_and_the_tag_and_says_what_to_do():
    explained = explain(MISSING_TAG)
    assert explained is not None
    assert explained.message == (
        "web: The image 127.0.0.1:5000/shop/web:v9 does not exist in the registry "
        "(tag v9 not found). Pick another tag."
    )
    assert explained.raw == MISSING_TAG


@pytest.mark.parametrize(
    ("raw", "start"),
    [
        ("pull registry/app:v9: manifest unknown", "The image registry/app:v9 does not exist"),
        (
            "api: pull reg.example/app:1: unauthorized: authentication required",
            "api: The registry refused access to reg.example/app.",
        ),
        (
            "pull reg.example:5000/app:1: Get https://reg.example:5000/v2/: dial tcp: "
            "connection refused",
            "The node could not reach the registry of reg.example:5000/app.",
        ),
    ],
)
def test_known_pull_failures(raw, start):
    explained = explain(raw)
    assert explained is not None and explained.message.startswith(start)


@pytest.mark.parametrize(
    "raw",
    ["", "web: health check failed after 3 tries", "pull reg/app:v1: something new went wrong"],
)
def test_anything_else_is_left_as_it_is(raw):
    assert explain(raw) is None


def test_split_image():
    assert split_image("127.0.0.1:5000/shop/web:v9") == ("127.0.0.1:5000/shop/web", "v9")
    assert split_image("127.0.0.1:5000/shop/web") == ("127.0.0.1:5000/shop/web", "latest")
    assert split_image("busybox:1.36") == ("busybox", "1.36")
