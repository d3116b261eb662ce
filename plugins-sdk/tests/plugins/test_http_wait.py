"""http-wait as a real container against a busybox httpd on a test network."""

from __future__ import annotations

import threading

import pytest
from plugin_containers import run_plugin, start_service

from shoal_plugin import Deployment, invocation_document

pytestmark = pytest.mark.docker


def httpd(docker_client, busybox_image, network):
    return start_service(
        docker_client,
        busybox_image,
        network,
        "web",
        command=["httpd", "-f", "-p", "8080", "-h", "/www"],
    )


def test_waits_for_a_url_that_answers(docker_client, shipped_plugins, busybox_image, network):
    httpd(docker_client, busybox_image, network)
    document = invocation_document("apply", {"url": "http://web:8080/", "timeout_s": 20})
    step = run_plugin(docker_client, shipped_plugins["http-wait"], document, network=network)
    assert step.exit_code == 0, step.stderr
    outputs = step.document["outputs"]
    assert outputs["url"] == "http://web:8080/" and outputs["status"] == 200


def test_waits_for_a_service_that_starts_late(
    docker_client, shipped_plugins, busybox_image, network
):
    """The step starts first; the service comes up 2 s later, found by its node id's URL."""
    late = threading.Timer(2.0, httpd, args=(docker_client, busybox_image, network))
    late.start()
    document = invocation_document(
        "apply",
        {"service": "web", "path": "/index.html", "interval_s": 0.2, "timeout_s": 30},
        deployment=Deployment(1, "d1", "qa", {"web": "http://web:8080"}),
    )
    try:
        step = run_plugin(docker_client, shipped_plugins["http-wait"], document, network=network)
    finally:
        late.join()
    assert step.exit_code == 0, step.stderr
    assert step.document["outputs"]["url"] == "http://web:8080/index.html"
    assert step.document["outputs"]["elapsed_s"] > 1


def test_gives_up_at_its_deadline_with_the_last_status(
    docker_client, shipped_plugins, busybox_image, network
):
    httpd(docker_client, busybox_image, network)
    document = invocation_document(
        "apply", {"url": "http://web:8080/missing", "timeout_s": 2, "interval_s": 0.2}
    )
    step = run_plugin(docker_client, shipped_plugins["http-wait"], document, network=network)
    assert step.exit_code == 1
    assert step.document["error"]["type"] == "timeout"
    assert "(HTTP 404)" in step.document["error"]["message"]


def test_bad_params_name_every_field(docker_client, shipped_plugins):
    document = invocation_document("apply", {"timeout_s": "soon", "method": "POST", "urll": "x"})
    step = run_plugin(docker_client, shipped_plugins["http-wait"], document)
    assert step.exit_code == 2
    assert step.document["error"]["fields"] == {
        "params.timeout_s": "expected number, got string",
        "params.method": "must be one of ['GET', 'HEAD'], got 'POST'",
        "params.urll": "unknown parameter",
    }


def test_url_or_service_is_required_and_must_be_known(docker_client, shipped_plugins):
    step = run_plugin(docker_client, shipped_plugins["http-wait"], invocation_document("apply", {}))
    assert step.exit_code == 2
    assert set(step.document["error"]["fields"]) == {"params.url", "params.service"}
    document = invocation_document(
        "apply", {"service": "api"}, deployment=Deployment(urls={"web": "x"})
    )
    step = run_plugin(docker_client, shipped_plugins["http-wait"], document)
    assert step.exit_code == 2
    assert step.document["error"]["fields"] == {"params.service": "no URL for 'api' (known: web)"}


def test_stdin_that_is_not_json(docker_client, shipped_plugins):
    step = run_plugin(docker_client, shipped_plugins["http-wait"], "{oops")
    assert step.exit_code == 2
    assert step.document["error"]["fields"]["stdin"].startswith("not JSON")


def test_rollback_has_nothing_to_undo(docker_client, shipped_plugins):
    document = invocation_document("rollback", {"url": "http://web:8080/"})
    step = run_plugin(docker_client, shipped_plugins["http-wait"], document)
    assert (step.exit_code, step.document) == (0, {"outputs": {}})


def test_image_carries_its_form_schema(docker_client, shipped_plugins):
    import json

    labels = docker_client.images.get(shipped_plugins["http-wait"]).labels
    schema = json.loads(labels["org.shoal.plugin.schema"])
    assert schema["properties"]["method"]["enum"] == ["GET", "HEAD"]
