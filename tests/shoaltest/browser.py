"""Fixtures: headless Debian Chromium driven by Playwright, and a real `shoal up` process.

Never downloads a browser: Playwright drives /usr/bin/chromium through executable_path.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shoaltest.agent import remove_labelled
from shoaltest.ports import free_port

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SHOAL_CLI = [sys.executable, "-m", "web.cli"]
PASSWORD_LINE = re.compile(r"Username: (\S+)\s+Password: (\S+)")


@dataclass
class RunningShoal:
    url: str
    admin_user: str
    admin_password: str
    output: Path
    data_dir: Path
    process: subprocess.Popen
    ingress_port: int

    def create_admin(self, username: str, password: str) -> str:
        """Another admin, made with the CLI as an operator would; returns its API token."""
        command = ["create-admin", "--username", username, "--password", password, "--print-token"]
        made = subprocess.run(
            [*SHOAL_CLI, *command],
            cwd=REPO,
            env={"SHOAL_DATA_DIR": str(self.data_dir), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        return made.stdout.strip().splitlines()[-1]


@contextlib.contextmanager
def running_shoal_up(**env_overrides: str) -> Iterator[RunningShoal]:
    """`shoal up` exactly as the README runs it, in a fresh data dir, on a free port."""
    with tempfile.TemporaryDirectory(prefix="shoal-up-") as tmp:
        port, ingress_port = free_port(), free_port()
        output = Path(tmp) / "up.log"
        env = {
            **os.environ,
            "SHOAL_DATA_DIR": f"{tmp}/data",
            "SHOAL_BIND": f"127.0.0.1:{port}",
            "SHOAL_INGRESS_BIND": f"127.0.0.1:{ingress_port}",
            "SHOAL_LOCAL_AGENT": "false",
            **env_overrides,
        }
        env.pop("SHOAL_DATABASE_URL", None)
        with output.open("wb") as log:
            process = subprocess.Popen(
                [*SHOAL_CLI, "up"],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, process, output)
            found = PASSWORD_LINE.search(output.read_text())
            reused = "SHOAL_DATA_DIR" in env_overrides  # its admin may exist already
            assert found or reused, f"no admin password printed:\n{output.read_text()}"
            admin = (found.group(1), found.group(2)) if found else ("", "")
            data_dir = Path(env["SHOAL_DATA_DIR"])
            yield RunningShoal(url, *admin, output, data_dir, process, ingress_port)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)  # `up` gives its agent and Caddy time to stop
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(url: str, process: subprocess.Popen, output: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"shoal up did not become ready:\n{output.read_text()[-3000:]}")
        time.sleep(0.2)


async def sign_in(browser, base_url: str, username: str, password: str, **context_options):
    """A new context signed in through the login form. Its page keeps every uncaught JS error
    in `page.js_errors`, for tests to assert there were none."""
    context = await browser.new_context(base_url=base_url, **context_options)
    page = await context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    await page.goto("/login")
    await page.fill("#f-username", username)
    await page.fill("#f-password", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/")
    return context, page


WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


async def fits(page) -> None:
    """The page as it is now is no wider than the window (no sideways scrolling)."""
    scroll, inner = await page.evaluate(WIDTHS)
    assert scroll <= inner, f"{page.url} is {scroll} px wide in a {inner} px window"


def watch_widths(page) -> list[str]:
    """Check the width of every page `page` loads from now on; returns the list the pages
    that were too wide are added to (as "url: width > window"), for a test to assert empty.
    (page.evaluate runs outside the page's Content-Security-Policy, unlike wait_for_function.)"""
    too_wide: list[str] = []

    async def check() -> None:
        try:
            scroll, inner = await page.evaluate(WIDTHS)
        except Exception:  # navigated away meanwhile: the next load is checked instead
            return
        if scroll > inner:
            too_wide.append(f"{page.url}: {scroll} > {inner}")

    page.on("load", lambda _: asyncio.ensure_future(check()))
    return too_wide


@pytest.fixture(scope="session")
def shoal_up() -> Iterator[RunningShoal]:
    with running_shoal_up() as shoal:
        yield shoal


@dataclass
class AgentShoal:
    """The session's `shoal up` with its local agent, for the browser journeys that deploy.

    One process for all of them: starting one took about 20 s a module. So each module names
    its own catalog entries (services, projects and users are unique per installation) and
    hands the node back empty when it is done (`delete_deployments`), since the next module's
    deployments need the node's capacity."""

    up: RunningShoal
    api: httpx.Client
    env: dict
    """The `local` environment, the local agent's."""
    registry_id: int
    """The session's test registry, added to Shoal once as `local`."""
    agent_id: str

    def delete_deployments(self, within: float = 120) -> None:
        """Delete every deployment that is not deleted yet and wait until all are gone."""
        listed = self.api.get("/deployments", params={"limit": 1000})
        listed.raise_for_status()
        for dep in listed.json():
            if dep["status"] not in ("deleted", "deleting"):
                self.api.delete(f"/deployments/{dep['id']}")
        deadline = time.monotonic() + within
        while True:
            left = [
                d["name"]
                for d in self.api.get("/deployments", params={"limit": 1000}).json()
                if d["status"] != "deleted"
            ]
            if not left:
                return
            assert time.monotonic() < deadline, f"still not deleted after {within} s: {left}"
            time.sleep(0.3)


@pytest.fixture(scope="session")
def shoal_with_agent(registry) -> Iterator[AgentShoal]:
    listen = f"127.0.0.1:{free_port()}"
    with running_shoal_up(SHOAL_LOCAL_AGENT="true", SHOAL_LOCAL_AGENT_LISTEN=listen) as up:
        token = up.create_admin("ops", "ops-password-1")
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{up.url}/api/v1", timeout=60, headers=headers) as api:
            env = next(e for e in api.get("/environments").json() if e["name"] == "local")
            made = api.post(
                "/registries",
                json={
                    "name": "local",
                    "url": registry.url,
                    "username": registry.username,
                    "password": registry.password,
                },
            )
            assert made.status_code == 201, made.text
            agent_id = (up.data_dir / "agent" / "agent-id").read_text().strip()
            try:
                yield AgentShoal(up, api, env, made.json()["id"], agent_id)
            finally:
                remove_labelled(agent_id)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        await instance.close()
