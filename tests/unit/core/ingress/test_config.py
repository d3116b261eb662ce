import re

import msgspec

from core.ingress import pages
from core.ingress.config import IngressOptions, build_owned
from core.ingress.document import merge_into, owned_part, whole_config
from core.ingress.routes import Route

OPTIONS = IngressOptions(
    listen="127.0.0.1:8880", tls_listen="127.0.0.1:8881", public_url="https://shoal.example/"
)
ADMIN = {"listen": "127.0.0.1:2999", "config": {"persist": False}}
PLACEHOLDERS = {"{shoal.deployment}", "{shoal.deployment_id}", "{http.error.status_code}"}


def route(host: str, upstream: str = "10.0.0.1:3000", tls_mode: str = "off") -> Route:
    return Route(
        host=host, upstream=upstream, deployment_id=7, deployment_name="demo", tls_mode=tls_mode
    )


def test_plain_hosts_are_one_map_on_one_server():
    owned = build_owned([route("a.demo.qa.x"), route("b.demo.qa.x", upstream="")], OPTIONS)
    assert list(owned["servers"]) == ["shoal"] and owned["tls_policies"] == []
    server = owned["servers"]["shoal"]
    assert server["listen"] == ["127.0.0.1:8880"]
    [host_route] = server["routes"]
    mapping, decide = host_route["handle"]
    assert mapping["mappings"] == [
        {"input": "a.demo.qa.x", "outputs": ["10.0.0.1:3000", "demo", "7", "public", ""]},
        {"input": "b.demo.qa.x", "outputs": ["", "demo", "7", "public", ""]},
    ]
    unknown, offline, proxy = decide["routes"]
    assert unknown["handle"][0]["status_code"] == 404
    assert offline["handle"][0]["status_code"] == 503
    assert proxy["handle"][0]["upstreams"] == [{"dial": "{shoal.upstream}"}]
    assert "match" not in proxy  # the last route catches everything left


def test_tls_hosts_get_their_own_server_policies_and_a_redirect():
    owned = build_owned(
        [
            route("a.d.e.x"),
            route("s.d.e.x", tls_mode="internal"),
            route("t.d.e.x", tls_mode="acme"),
        ],
        OPTIONS,
    )
    plain, tls = owned["servers"]["shoal"], owned["servers"]["shoal-tls"]
    assert tls["listen"] == ["127.0.0.1:8881"] and tls["tls_connection_policies"] == [{}]
    assert [m["input"] for m in tls["routes"][0]["handle"][0]["mappings"]] == ["s.d.e.x", "t.d.e.x"]
    redirect = plain["routes"][0]
    assert redirect["match"] == [{"host": ["s.d.e.x", "t.d.e.x"]}]
    location = redirect["handle"][0]["headers"]["Location"]
    assert location == ["https://{http.request.host}:8881{http.request.uri}"]
    assert [(p["subjects"], p["issuers"], p["on_demand"]) for p in owned["tls_policies"]] == [
        (["s.d.e.x"], [{"module": "internal"}], True),
        (["t.d.e.x"], [{"module": "acme"}], True),
    ]


def test_pages_use_only_known_placeholders_and_escape_the_public_url():
    for body in (
        pages.service_down_page('https://x.test/"><script>{evil}'),
        pages.node_offline_page("https://shoal.example"),
        pages.asleep_page('https://x.test/"><script>{evil}'),
        pages.not_found_page(),
        pages.error_page(),
    ):
        assert set(re.findall(r"\{[^}]*\}", body)) <= PLACEHOLDERS
        assert "<script>" not in body
        assert "{http.request.host}" not in body  # the Host header is never echoed
    assert 'href="https://shoal.example/deployments/{shoal.deployment_id}"' in (
        pages.node_offline_page("https://shoal.example/")
    )


def test_merge_keeps_what_shoal_does_not_own():
    live = {
        "admin": {"listen": "localhost:2019"},
        "apps": {
            "http": {"servers": {"theirs": {"listen": [":9000"]}, "shoal": {"stale": True}}},
            "tls": {
                "automation": {
                    "policies": [
                        {"issuers": [{"module": "acme"}]},
                        {"@id": "shoal-tls-acme", "subjects": ["old"]},
                    ]
                }
            },
            "pki": {"certificate_authorities": {"local": {"name": "theirs"}}},
        },
    }
    owned = build_owned([route("s.d.e.x", tls_mode="internal")], OPTIONS)
    merged = merge_into(live, owned, ADMIN)
    assert merged["admin"] == {"listen": "localhost:2019"}
    assert set(merged["apps"]["http"]["servers"]) == {"theirs", "shoal", "shoal-tls"}
    policies = merged["apps"]["tls"]["automation"]["policies"]
    assert [p.get("@id") for p in policies] == ["shoal-tls-internal", None]  # catch-all last
    assert merged["apps"]["pki"] == live["apps"]["pki"]
    assert owned_part(merged) == owned
    assert live["apps"]["http"]["servers"]["shoal"] == {"stale": True}  # input not mutated


def test_dropping_tls_removes_our_policies_and_whole_config_has_the_admin_block():
    live = whole_config(build_owned([route("s.d.e.x", tls_mode="internal")], OPTIONS), ADMIN)
    assert live["admin"] == ADMIN
    assert live["apps"]["pki"]["certificate_authorities"]["local"]["install_trust"] is False
    plain = build_owned([route("a.d.e.x")], OPTIONS)
    merged = merge_into(live, plain, ADMIN)
    assert owned_part(merged) == plain
    assert "shoal-tls" not in merged["apps"]["http"]["servers"]
    assert owned_part(None) == {"servers": {}, "tls_policies": []}


def test_protected_hosts_ask_the_control_plane_and_public_ones_do_not():
    public = build_owned([route("a.demo.qa.x")], OPTIONS)
    assert "ingress-auth" not in str(public)
    guarded_route = Route(
        host="b.demo.qa.x",
        upstream="10.0.0.1:3000",
        deployment_id=7,
        deployment_name="demo",
        access="signed-in",
    )
    options = msgspec.structs.replace(OPTIONS, control_plane="127.0.0.1:8000")
    owned = build_owned([guarded_route], options)
    [host_route] = owned["servers"]["shoal"]["routes"]
    mapping, decide = host_route["handle"]
    assert mapping["mappings"][0]["outputs"][3] == "signed-in"
    _, _, shoal_paths, ask, proxy = decide["routes"]
    assert shoal_paths["match"][0]["path"] == ["/.shoal/*"]
    check = ask["handle"][1]
    assert check["rewrite"] == {"method": "GET", "uri": "/ingress-auth/check"}
    assert check["upstreams"] == [{"dial": "127.0.0.1:8000"}]
    # Set, never added: a visitor's own X-Shoal-Deployment header is overwritten.
    assert check["headers"]["request"]["set"]["X-Shoal-Deployment"] == ["{shoal.deployment_id}"]
    assert "terminal" not in ask  # a 2xx answer goes on to the proxy
    assert proxy["handle"][0]["headers"]["request"]["delete"] == ["X-Shoal-Bypass"]
    errors = owned["servers"]["shoal"]["errors"]["routes"]
    assert errors[0]["handle"][0]["status_code"] == 503


def test_protected_hosts_stay_shut_without_a_control_plane_address():
    guarded_route = Route(
        host="b.demo.qa.x",
        upstream="10.0.0.1:3000",
        deployment_id=7,
        deployment_name="demo",
        access="password",
    )
    owned = build_owned([guarded_route], OPTIONS)
    decide = owned["servers"]["shoal"]["routes"][0]["handle"][1]
    shut = decide["routes"][2]
    assert shut["terminal"] and shut["handle"][0]["status_code"] == 503


def test_sleeping_hosts_go_to_the_control_plane_after_the_access_check():
    asleep = Route(
        host="b.demo.qa.x",
        upstream="",
        deployment_id=7,
        deployment_name="demo",
        access="signed-in",
        asleep=True,
    )
    options = msgspec.structs.replace(OPTIONS, control_plane="127.0.0.1:8000")
    owned = build_owned([route("a.demo.qa.x"), asleep], options)
    mapping, decide = owned["servers"]["shoal"]["routes"][0]["handle"]
    assert mapping["mappings"][1]["outputs"] == ["", "demo", "7", "signed-in", "1"]
    _, offline, _, ask, wake, proxy = decide["routes"]
    # No upstream but asleep: not the offline page; the access check first, then the wake.
    assert offline["match"] == [
        {"vars": {"{shoal.upstream}": [""]}, "not": [{"vars": {"{shoal.asleep}": ["1"]}}]}
    ]
    assert ask["handle"][1]["rewrite"]["uri"] == "/ingress-auth/check"
    assert wake["match"] == [{"vars": {"{shoal.asleep}": ["1"]}}] and wake["terminal"]
    to_control_plane = wake["handle"][1]
    assert to_control_plane["upstreams"] == [{"dial": "127.0.0.1:8000"}]
    assert to_control_plane["rewrite"] == {"method": "GET", "uri": "/ingress-wake"}
    set_headers = to_control_plane["headers"]["request"]["set"]
    assert set_headers["X-Shoal-Deployment"] == ["{shoal.deployment_id}"]
    assert "match" not in proxy
    errors = owned["servers"]["shoal"]["errors"]["routes"]
    assert errors[1]["match"] == [{"vars": {"shoal.wake": ["pending"]}}]
    assert errors[1]["handle"][0]["status_code"] == 503


def test_sleeping_hosts_get_a_static_page_without_a_control_plane_and_none_asleep_no_route():
    asleep = Route(
        host="b.demo.qa.x", upstream="", deployment_id=7, deployment_name="demo", asleep=True
    )
    decide = build_owned([asleep], OPTIONS)["servers"]["shoal"]["routes"][0]["handle"][1]
    _, _, page, _ = decide["routes"]
    assert page["handle"][0]["status_code"] == 503 and "is asleep" in page["handle"][0]["body"]
    awake = build_owned([route("a.demo.qa.x")], OPTIONS)["servers"]["shoal"]["routes"][0]
    assert "ingress-wake" not in str(awake) and "is asleep" not in str(awake)
