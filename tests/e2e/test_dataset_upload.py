"""The Datasets page's upload in headless Chromium against a real `shoal up` (issue 24): the
file goes to the API as the request body (web/static/dataset-upload.js), the page lists the new
version; an HTML file is refused under the form with the reason, the name kept."""

from pathlib import Path

import pytest

from shoaltest.browser import sign_in

pytestmark = [pytest.mark.e2e]


async def test_upload_lists_the_version_and_refuses_a_page(shoal_up, browser, tmp_path: Path):
    dump = tmp_path / "shop.pgc"
    dump.write_bytes(b"PGDMP\x01\x0f\x00" + b"rows" * 5000)
    page_file = tmp_path / "login.html"
    page_file.write_text("<!DOCTYPE html><html><body>Sign in</body></html>")
    context, page = await sign_in(
        browser, shoal_up.url, shoal_up.admin_user, shoal_up.admin_password
    )
    await page.goto("/projects/")
    await page.fill("#f-name", "seeded-shop")
    await page.click("text=Create project")
    await page.wait_for_selector("#project-datasets-link")
    await page.click("#project-datasets-link")
    await page.wait_for_selector("text=No datasets yet.")

    await page.fill("#u-name", "shop")
    await page.set_input_files("#u-file", str(page_file))
    await page.click("#dataset-upload button")
    await page.wait_for_selector("#dataset-upload-status.error >> text=HTML")
    assert await page.input_value("#u-name") == "shop"

    await page.set_input_files("#u-file", str(dump))
    await page.click("#dataset-upload button")
    await page.wait_for_selector("#datasets td >> text=custom")
    row = await page.locator("#datasets tbody tr, #datasets table tr").all_inner_texts()
    assert any("shop" in r and "1" in r and "custom" in r for r in row)
    await context.close()
