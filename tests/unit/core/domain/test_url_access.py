from datetime import UTC, datetime, timedelta

from core.domain.url_access import effective_policy, local_path, return_target, share_expiry

HOSTS = {"web.demo.qa.example.com"}
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def test_the_project_overrides_the_environment_and_bad_values_close():
    assert effective_policy(None, "public") == "public"
    assert effective_policy(None, None) == "public"
    assert effective_policy("password", "public") == "password"
    assert effective_policy("public", "signed-in") == "public"
    assert effective_policy(None, "bogus") == "signed-in"


def test_only_deployment_urls_are_return_targets():
    assert return_target("http://web.demo.qa.example.com:8880/a?b=1", HOSTS) == (
        "http",
        "web.demo.qa.example.com:8880",
        "/a?b=1",
    )
    assert return_target("https://WEB.demo.qa.example.com", HOSTS) == (
        "https",
        "web.demo.qa.example.com",
        "/",
    )
    for evil in (
        "http://evil.example/",
        "http://web.demo.qa.example.com.evil.example/",
        "http://user:pw@web.demo.qa.example.com/",
        "javascript://web.demo.qa.example.com/%0aalert(1)",
        "//web.demo.qa.example.com/",
        "/ingress",
        "http://web.demo.qa.example.com:99999/",
        "",
    ):
        assert return_target(evil, HOSTS) is None, evil


def test_local_paths_never_leave_the_host():
    assert local_path("/a/b?c=d") == "/a/b?c=d"
    for evil in (
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "evil",
        "/a\r\nX: y",
    ):
        assert local_path(evil) == "/", evil


def test_share_links_last_a_day_by_default_and_never_outlive_the_deployment():
    assert share_expiry(NOW, None, None) == NOW + timedelta(hours=24)
    assert share_expiry(NOW, timedelta(hours=2), None) == NOW + timedelta(hours=2)
    ends = NOW + timedelta(hours=5)
    assert share_expiry(NOW, None, ends) == ends
    assert share_expiry(NOW, timedelta(hours=1), ends) == NOW + timedelta(hours=1)
