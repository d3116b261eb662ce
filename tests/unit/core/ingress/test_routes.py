from core.ingress.routes import Route, RouteRow, compute_routes


def rows(ports: dict | None = None, **overrides) -> list[RouteRow]:
    values = {
        "deployment_id": 1,
        "deployment_name": "demo",
        "deployment_status": "running",
        "environment_name": "qa",
        "base_domain": "shoal.test",
        "node_status": "online",
        "node_address": "10.0.0.5",
    }
    ports = {"web": 30001, "api": 30002} if ports is None else ports
    return [
        RouteRow(service=service, port=port, **{**values, **overrides})
        for service, port in ports.items()
    ]


def test_running_deployment_on_online_node_routes_each_service():
    table = compute_routes(rows())
    assert table.routes == [
        Route(
            host="api.demo.qa.shoal.test",
            upstream="10.0.0.5:30002",
            deployment_id=1,
            deployment_name="demo",
        ),
        Route(
            host="web.demo.qa.shoal.test",
            upstream="10.0.0.5:30001",
            deployment_id=1,
            deployment_name="demo",
        ),
    ]
    assert table.routed_count == 2 and table.skipped == []


def test_hosts_of_an_unreachable_node_stay_known_but_unrouted():
    for overrides in (
        {"node_status": "offline"},
        {"node_status": "revoked"},
        {"node_status": None, "node_address": ""},
        {"deployment_status": "offline"},
        {"node_address": ""},
    ):
        table = compute_routes(rows(**overrides))
        assert [r.upstream for r in table.routes] == ["", ""], overrides
        assert table.routed_count == 0


def test_deployments_not_running_or_offline_have_no_hosts():
    for status in ("pending", "deploying", "failed", "deleting", "deleted"):
        assert compute_routes(rows(deployment_status=status)).routes == []


def test_bad_names_and_ports_are_skipped_with_a_reason():
    table = compute_routes(rows({"Bad_Name": 30001, "web": "nope", "ok": 0, "fine": "30004"}))
    assert [r.host for r in table.routes] == ["fine.demo.qa.shoal.test"]
    assert table.routes[0].upstream == "10.0.0.5:30004"
    assert len(table.skipped) == 3
    assert any("Bad_Name" in reason for reason in table.skipped)
    assert any("'web' has no valid host port ('nope')" in reason for reason in table.skipped)


def test_newest_deployment_wins_a_host_clash_and_ipv6_is_bracketed():
    table = compute_routes(rows(deployment_id=9, node_address="fd00::9") + rows(deployment_id=3))
    assert {r.deployment_id for r in table.routes} == {9}
    assert table.routes[0].upstream == "[fd00::9]:30002"


def test_tls_mode_is_carried_and_unknown_modes_mean_plain_http():
    assert {r.tls_mode for r in compute_routes(rows(tls_mode="acme")).routes} == {"acme"}
    assert {r.tls_mode for r in compute_routes(rows(tls_mode="weird")).routes} == {"off"}


def test_sleeping_and_waking_deployments_keep_their_hosts_marked_asleep_never_routed():
    for status in ("sleeping", "waking"):
        table = compute_routes(rows(deployment_status=status))
        assert [(r.upstream, r.asleep) for r in table.routes] == [("", True), ("", True)]
    assert [r.asleep for r in compute_routes(rows()).routes] == [False, False]
