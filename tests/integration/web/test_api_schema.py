"""The OpenAPI document tells a client what each route can answer and what each field accepts,
and the limits it documents are the ones the services enforce."""

import pytest

from core.fields import INT32_MAX
from shoaltest.web import api_client

WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture
async def schema(client):
    return (await client.get("/schema/openapi.json")).json()


def api_operations(schema):
    for path, item in schema["paths"].items():
        if path.startswith("/api/v1/"):
            for method, operation in item.items():
                yield path, method, operation


async def test_every_api_route_documents_its_error_answers_with_the_error_body(schema):
    body = {"$ref": "#/components/schemas/ErrorBody"}
    assert schema["components"]["schemas"]["ErrorBody"]["required"] == ["detail", "status_code"]
    for path, method, operation in api_operations(schema):
        answers = operation["responses"]
        expected = {"401"}
        if "{" in path:
            expected.add("404")
        if method in WRITES:
            expected |= {"403", "409"}
        if "requestBody" in operation:
            expected |= {"400", "422"}
        assert expected <= set(answers), (method, path, sorted(answers))
        for status in expected - {"400"}:
            assert answers[status]["content"]["application/json"]["schema"] == body
    admin_only = schema["paths"]["/api/v1/users"]["get"]["responses"]
    assert "403" in admin_only


async def test_ids_in_paths_and_queries_are_bounded_to_what_the_database_holds(schema):
    for path, _, operation in api_operations(schema):
        for parameter in operation.get("parameters", []):
            name, bounds = parameter["name"], parameter["schema"]
            numeric = "integer" in str(bounds)  # a pipeline node id is text
            if numeric and (name.endswith("_id") or name in ("version", "before", "from", "to")):
                assert (bounds["minimum"], bounds["maximum"]) == (1, INT32_MAX), (path, name)


async def test_input_fields_document_their_limits_and_pattern(schema):
    components = schema["components"]["schemas"]
    team = components["TeamCreate"]["properties"]["name"]
    assert team["maxLength"] == 64 and "\\x00" in team["pattern"]
    project = components["ProjectInput"]["properties"]
    assert (project["cpu"]["minimum"], project["cpu"]["maximum"]) == (0.05, 256)
    deployment = components["DeploymentInput"]["properties"]
    assert deployment["project_id"]["maximum"] == INT32_MAX


CREATES = [
    ("/api/v1/teams", "TeamCreate", {"name": "qa"}),
    ("/api/v1/projects", "ProjectInput", {"name": "shop"}),
    ("/api/v1/environments", "EnvironmentInput", {"name": "qa", "base_domain": "qa.test"}),
]


@pytest.mark.parametrize("path, component, valid", CREATES)
async def test_a_value_past_a_documented_limit_is_refused_by_the_service(
    web_app, admin, schema, path, component, valid
):
    properties = schema["components"]["schemas"][component]["properties"]
    async with await api_client(web_app, admin) as api:
        for field, spec in properties.items():
            limit = spec.get("maxLength")
            if limit is not None:
                over = await api.post(path, json={**valid, field: "a" * (limit + 1)})
                assert over.status_code == 422, (field, over.text)
            whole = spec.get("type") != "number"  # integers are written as 16.0 too
            for bound, step in (("minimum", -1), ("maximum", 1)):
                if bound in spec:
                    edge = int(spec[bound]) + step if whole else spec[bound] + step * 0.01
                    past = await api.post(path, json={**valid, field: edge})
                    assert past.status_code == 422, (field, bound, past.text)
        at_limit = {
            field: "a" * spec["maxLength"]
            for field, spec in properties.items()
            if field == "description" and "maxLength" in spec
        }
        assert (await api.post(path, json={**valid, **at_limit})).status_code == 201
