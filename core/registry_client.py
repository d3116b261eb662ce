"""Docker registry v2 client: connection check and tag listing, with both auth schemes.

A registry answers 401 with `WWW-Authenticate`: `Basic realm=…` (htpasswd registries) means
send the credentials on the same request; `Bearer realm=…,service=…,scope=…` (Docker Hub, GHCR,
GitLab, Harbor) means fetch a token from `realm` (with the credentials, if any) and retry with
it. Tag lists are paginated through `Link: <…?last=…>; rel="next"`. Every failure becomes a
RegistryError whose `detail` says what happened in words an admin can act on.

Where credentials may go (the registry's *origin* is its scheme, host and port):
- Registry requests, basic auth included, go to the registry's own origin only. A `next` link
  to another origin (another host or port, or http for an https registry) is refused, not
  followed, and redirects are never followed (httpx's default).
- The token `realm` may be another host: the Docker token spec puts the token service where
  the registry says (auth.docker.io for Docker Hub). The realm is used, with the credentials,
  only over https, or over plain http when the registry itself is plain http on the same
  host (a registry and its token service on one machine). Any other realm is refused before
  anything is sent to it, credentials or not.
- An https URL that meets a plain-HTTP server is told so ("answers plain HTTP; use http://…")
  after a probe of `http://` on the same host and port that carries no credentials.

    RegistryError (502)
    ├── RegistryUnreachable (503)   connection refused, DNS, TLS, timeout
    ├── RegistryAuthError   (502)   401/403: missing or wrong credentials
    └── RepositoryNotFound  (404)   no such image on that registry
"""

from __future__ import annotations

import re
import ssl
import time

import httpx

from core.errors import ShoalError

DEFAULT_TIMEOUT_S = 10.0
PAGE_SIZE = 1000
MAX_PAGES = 100
CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
DEFAULT_PORTS = {"http": 80, "https": 443}
PLAIN_HTTP_PROBE_S = 3.0


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host, port (the default port spelled out): what credentials are bound to."""
    return url.scheme, url.host, url.port or DEFAULT_PORTS.get(url.scheme)


def realm_may_get_credentials(registry: httpx.URL, realm: httpx.URL) -> bool:
    if not realm.host:
        return False
    if realm.scheme == "https":
        return True
    return realm.scheme == registry.scheme == "http" and realm.host == registry.host


class RegistryError(ShoalError):
    status_code = 502


class RegistryUnreachable(RegistryError):
    status_code = 503


class RegistryAuthError(RegistryError):
    status_code = 502


class RepositoryNotFound(RegistryError):
    status_code = 404


class RegistryClient:
    """One registry, one set of credentials; use as `async with RegistryClient(...) as c`."""

    def __init__(
        self,
        url: str,
        username: str = "",
        password: str = "",
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.username, self.password = username, password
        self.timeout_s = timeout_s
        self._http = httpx.AsyncClient(timeout=timeout_s, transport=transport)
        self._tokens: dict[str, str] = {}  # scope → bearer token
        self._basic = False  # the registry asked for basic auth once: send it up front

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def check(self) -> str:
        """Prove the registry answers the v2 API and accepts our credentials."""
        await self._get(f"{self.url}/v2/", scope="")
        who = f" as '{self.username}'" if self.username else " anonymously"
        return f"Connected to {self.url}{who}."

    async def list_tags(self, image: str, *, page_size: int = PAGE_SIZE) -> list[str]:
        """Every tag of `image`, following pagination (unsorted, as the registry gives them)."""
        scope = f"repository:{image}:pull"
        url: str | None = f"{self.url}/v2/{image}/tags/list?n={page_size}"
        tags: list[str] = []
        started = time.monotonic()
        for _ in range(MAX_PAGES):
            if url is None:
                return tags
            if time.monotonic() - started > self.timeout_s * 3:
                raise RegistryUnreachable(f"{self.url} is too slow listing tags of '{image}'.")
            answer = await self._get(url, scope=scope, image=image)
            try:
                page = answer.json().get("tags") or []
                tags.extend(tag for tag in page if isinstance(tag, str))
            except (ValueError, AttributeError, TypeError) as exc:
                raise RegistryError(f"{self.url} answered with something not a tag list.") from exc
            match = NEXT_LINK.search(answer.headers.get("link", ""))
            url = self._next_page(answer.url, match.group(1)) if match else None
        raise RegistryError(f"'{image}' has more than {MAX_PAGES} pages of tags; stopped there.")

    def _next_page(self, current: httpx.URL, link: str) -> str:
        """The next page's URL, if it stays on the registry's origin (the credentials' scope)."""
        target = current.join(link)
        if origin(target) != origin(httpx.URL(self.url)):
            elsewhere = f"{target.scheme}://{target.netloc.decode()}"
            raise RegistryError(
                f"{self.url} sent the next page of tags to another origin ({elsewhere}); "
                "Shoal follows pages on the registry's own origin only and stopped there."
            )
        return str(target)

    async def _get(self, url: str, *, scope: str, image: str = "") -> httpx.Response:
        headers = {"Accept": "application/json"}
        if scope in self._tokens:
            headers["Authorization"] = f"Bearer {self._tokens[scope]}"
        auth = (self.username, self.password) if self._basic else None
        answer = await self._send(url, headers, auth)
        if answer.status_code == 401 and not self._basic:
            challenge = answer.headers.get("www-authenticate", "")
            scheme = challenge.split(" ", 1)[0].lower()
            # A cached token may have expired: a bearer challenge always gets one fresh token.
            if scheme == "bearer":
                self._tokens[scope] = await self._fetch_token(challenge, scope)
                headers["Authorization"] = f"Bearer {self._tokens[scope]}"
                answer = await self._send(url, headers)
            elif scheme == "basic" and self.username:
                self._basic = True
                answer = await self._send(url, headers, (self.username, self.password))
        return self._checked(answer, image)

    async def _fetch_token(self, challenge: str, scope: str) -> str:
        params = dict(CHALLENGE_PARAM.findall(challenge))
        realm = params.pop("realm", "")
        if not realm.startswith(("http://", "https://")):
            raise RegistryAuthError(f"{self.url} asked for a token without a usable realm.")
        if not realm_may_get_credentials(httpx.URL(self.url), httpx.URL(realm)):
            raise RegistryAuthError(
                f"{self.url} names {realm} as its token service; Shoal asks token services "
                "over https only (plain http only on the host of a plain-http registry)."
            )
        query = {"service": params.get("service", "")}
        # The registry's own scope wins (it knows its naming); ours is the fallback.
        if params.get("scope") or scope:
            query["scope"] = params.get("scope") or scope
        auth = (self.username, self.password) if self.username else None
        try:
            answer = await self._http.get(realm, params=query, auth=auth)
        except httpx.TimeoutException as exc:
            raise RegistryUnreachable(
                f"The token service {realm} did not answer within {self.timeout_s:g} s."
            ) from exc
        except httpx.TransportError as exc:
            raise RegistryUnreachable(f"Cannot reach the token service {realm}: {exc}.") from exc
        if answer.status_code in (401, 403):
            raise RegistryAuthError(self._denied("The token service refused"))
        if answer.status_code != 200:
            raise RegistryError(f"The token service {realm} answered HTTP {answer.status_code}.")
        try:
            body = answer.json()
            return body.get("token") or body["access_token"]
        except (ValueError, KeyError, AttributeError) as exc:
            raise RegistryError(f"The token service {realm} sent no token.") from exc

    async def _send(self, url: str, headers: dict, auth: tuple[str, str] | None = None):
        try:
            return await self._http.get(url, headers=headers, auth=auth)
        except httpx.TimeoutException as exc:
            raise RegistryUnreachable(
                f"{self.url} did not answer within {self.timeout_s:g} s."
            ) from exc
        except httpx.ConnectError as exc:
            raise await self._explained(exc) from exc
        except httpx.TransportError as exc:
            raise RegistryUnreachable(
                f"Cannot reach {self.url}: {exc or type(exc).__name__}."
            ) from exc

    async def _explained(self, exc: httpx.ConnectError) -> RegistryUnreachable:
        """A connection error in words; a TLS failure checks whether plain HTTP answers."""
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, ssl.SSLError):
            cause = cause.__cause__ or cause.__context__
        url = httpx.URL(self.url)
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or cause.reason
            return RegistryUnreachable(
                f"The TLS certificate of {self.url} is not trusted: {reason}."
            )
        if cause is not None and url.scheme == "https":
            plain = str(url.copy_with(scheme="http", port=url.port or 443))
            if await self._answers_plain_http(plain):
                return RegistryUnreachable(f"{self.url} answers plain HTTP; use {plain} instead.")
            return RegistryUnreachable(f"The TLS handshake with {self.url} failed: {cause.reason}.")
        return RegistryUnreachable(f"Cannot reach {self.url}: {exc or type(exc).__name__}.")

    async def _answers_plain_http(self, plain_url: str) -> bool:
        try:  # no credentials: this only asks whether an HTTP server is there
            await self._http.get(f"{plain_url}/v2/", timeout=PLAIN_HTTP_PROBE_S)
        except httpx.HTTPError:
            return False
        return True

    def _denied(self, who: str) -> str:
        if not self.username:
            return f"{who} anonymous access: this registry needs a username and password."
        return f"{who} the credentials of '{self.username}' (wrong username or password?)."

    def _checked(self, answer: httpx.Response, image: str) -> httpx.Response:
        status = answer.status_code
        if status == 200:
            return answer
        if status == 401:
            raise RegistryAuthError(self._denied(f"{self.url} refused (401)"))
        if status == 403:
            raise RegistryAuthError(
                f"'{self.username}' may not read '{image}' on {self.url} (403)."
            )
        if status == 404:
            if not image:
                raise RegistryError(f"{self.url} does not serve the registry v2 API (404 on /v2/).")
            raise RepositoryNotFound(f"There is no image '{image}' on {self.url}.")
        raise RegistryError(f"{self.url} answered HTTP {status}.")
