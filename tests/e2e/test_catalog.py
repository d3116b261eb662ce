"""The catalog in headless Chromium against a real `shoal up` and the real test registry:
test connection, tag browser, the live pattern preview and the service's tag dropdown."""

import pytest

from shoaltest.browser import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


async def texts(page, selector: str) -> list[str]:
    return [t.strip() for t in await page.locator(selector).all_inner_texts()]


async def test_registry_service_and_tag_dropdown(shoal_up, browser, registry, busybox_image):
    app_image = "e2e/app"  # its own repository: this test adds a tag to it
    for tag in ("v1.9.2", "v1.10.0", "v1.10.0-rc1", "1.2.3", "1.2.10", "latest"):
        registry.push(busybox_image, app_image, tag)
    context, page = await sign_in(
        browser, shoal_up.url, shoal_up.admin_user, shoal_up.admin_password
    )

    await page.goto("/registries")
    # Issue 16: no scheme means https, and this registry is plain HTTP: saving asks first.
    await page.fill("#f-name", "local")
    await page.fill("#f-url", registry.host)
    await page.fill("#f-username", registry.username)
    await page.fill("#f-password", registry.password)
    await page.click("text=Add registry")
    await page.wait_for_selector(f"text=answers plain HTTP; use http://{registry.host} instead")
    assert await page.input_value("#f-url") == registry.host
    assert await page.input_value("#f-password") == ""  # never sent back to the page
    assert await page.locator("button[name=save_untested]").is_visible()
    await page.fill("#f-name", "local")
    await page.fill("#f-url", registry.url)
    await page.fill("#f-username", registry.username)
    await page.fill("#f-password", "wrong-password")
    await page.click("text=Test connection")
    await page.wait_for_selector("#registry-check-result >> text=wrong username or password")
    await page.fill("#f-password", registry.password)
    await page.click("text=Test connection")
    await page.wait_for_selector("#registry-check-result >> text=Connected to")
    await page.click("text=Add registry")
    await page.wait_for_selector("text=Registry 'local' added.")
    assert registry.password not in await page.content()

    await page.fill("#browse-image", app_image)
    await page.fill("#browse-pattern", "v*")
    await page.wait_for_selector("#tag-list-result li")
    assert await texts(page, "#tag-list-result li") == ["v1.10.0", "v1.10.0-rc1", "v1.9.2"]

    await page.goto("/services/new")
    await page.fill("#f-name", "web")
    await page.select_option("#f-registry_id", label=f"local ({registry.url})")
    await page.fill("#f-image", app_image)
    await page.check("input[name=tag_mode][value=selectable]")
    await page.fill("#f-tag_pattern", "1.2.[")
    await page.wait_for_selector("#tag-preview-result >> text=Unclosed")
    await page.fill("#f-tag_pattern", "1.2.*")
    await page.wait_for_selector("#tag-preview-result >> text=Matches 2 tags")
    await page.click("text=Create service")
    await page.wait_for_selector("text=Service 'web' saved.")

    dropdown = page.locator(".tag-select select")
    await dropdown.wait_for()
    assert await texts(page, ".tag-select option") == ["1.2.10", "1.2.3"]
    assert await dropdown.input_value() == "1.2.10"  # highest first, preselected

    registry.push(busybox_image, app_image, "1.2.11")
    await page.click(".tag-select >> text=refresh")
    await page.wait_for_selector(".tag-select option[value='1.2.11']", state="attached")
    assert await texts(page, ".tag-select option") == ["1.2.11", "1.2.10", "1.2.3"]
    await page.select_option(".tag-select select", "1.2.3")
    assert await dropdown.input_value() == "1.2.3"
    await context.close()
