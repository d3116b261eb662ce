"""The API explorer at /schema (Swagger UI), served from our own static files.

Litestar's stock page loads Swagger UI from a CDN (Shoal must work offline) and starts it with
an inline script (which the Content-Security-Policy in web/security_headers.py forbids). This
page references the vendored bundle and a small starter script instead, and the starter
fetches the OpenAPI document from its usual URL.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin

from web.templating import STATIC_VERSION

SWAGGER_UI_VERSION = "5.35.0"  # web/static/vendor/swagger-ui-<version>.*, licence beside
VENDOR = f"/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}"


class LocalSwaggerUI(SwaggerRenderPlugin):
    def __init__(self) -> None:
        super().__init__(
            version=SWAGGER_UI_VERSION,
            js_url=f"{VENDOR}.bundle.js",
            css_url=f"{VENDOR}.css",
            standalone_preset_js_url="",  # not used: the page shows the plain API layout
            favicon="",
            style="",
        )

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        title = escape(openapi_schema["info"]["title"])
        base = request.app.openapi_config.path.rstrip("/")  # type: ignore[union-attr]
        spec_url = escape(f"{base}/openapi.json")
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} API</title>
  <link rel="stylesheet" href="{self.css_url}">
</head>
<body>
  <div id="swagger-ui" data-spec-url="{spec_url}"></div>
  <script src="{self.js_url}"></script>
  <script src="/static/api-docs.js?v={STATIC_VERSION}"></script>
</body>
</html>
""".encode()
