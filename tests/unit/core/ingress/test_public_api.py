"""What the rest of Shoal may use from core.ingress, pinned (changing it is a decision)."""

from core import ingress
from core.settings import Settings


def test_public_names_are_pinned():
    assert sorted(ingress.__all__) == [
        "IngressStatus",
        "admin_url",
        "check_hostname",
        "current_options",
        "hostname_problem",
        "options_from",
        "request_sync",
        "service_url",
        "start",
        "start_in_app",
        "status",
        "stop",
        "sync_now",
        "url_of",
    ]


def test_url_of_follows_the_ingress_settings():
    on_80 = Settings(ingress_bind=":80")
    assert ingress.url_of(on_80, "web", "demo", "qa", "x.test") == "http://web.demo.qa.x.test"
    assert ingress.url_of(on_80, "web", "demo", "qa", "x.test", "acme") == (
        "https://web.demo.qa.x.test"
    )
    laptop = Settings()
    assert ingress.url_of(laptop, "api", "demo", "dev", "localhost") == (
        "http://api.demo.dev.localhost:8880"
    )


async def test_without_a_syncer_status_explains_and_requests_are_ignored():
    await ingress.stop()
    ingress.request_sync()
    status = ingress.status()
    assert status.reachable is False
    assert status.last_error == ingress.NOT_CONFIGURED
