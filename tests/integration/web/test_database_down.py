"""The database going away under a running server: 503 pages and JSON, the process lives on."""

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from shoaltest.browser import running_shoal_up


@pytest.fixture
def shoal_with_own_database():
    with running_shoal_up() as shoal:
        yield shoal


def stop_postgres(data_dir: Path) -> None:
    """Fast shutdown of the embedded PostgreSQL that this test's `shoal up` started."""
    pid = int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError("PostgreSQL did not stop")


def test_requests_get_503_while_the_database_is_down(shoal_with_own_database):
    shoal = shoal_with_own_database
    with httpx.Client(base_url=shoal.url, timeout=10) as browser:
        login_page = browser.get("/login")
        token = login_page.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed_in = browser.post(
            "/login",
            data={
                "username": shoal.admin_user,
                "password": shoal.admin_password,
                "csrf_token": token,
            },
        )
        assert signed_in.status_code == 303
        stop_postgres(shoal.data_dir)
        page = browser.get("/teams")
        api = browser.get("/api/v1/teams", headers={"accept": "application/json"})
        ready = browser.get("/health/ready")
        live = browser.get("/health/live")
    assert page.status_code == 503 and "database is unavailable" in page.text
    assert api.status_code == 503 and api.json()["status_code"] == 503
    assert ready.status_code == 503 and ready.json()["checks"]["database"] != "ok"
    assert live.status_code == 200
    assert shoal.process.poll() is None  # still serving
