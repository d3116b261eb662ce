"""Control-plane settings: defaults < settings file (litestar.toml) < SHOAL_* environment.

Every field here is documented in `litestar.toml` and in docs/configuration.md; a unit test
keeps the three in step. The Litestar CLI does not read litestar.toml: the file is ours.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

import msgspec

ENV_PREFIX = "SHOAL_"
DEFAULT_SETTINGS_FILE = "litestar.toml"


class OidcProviderSetting(msgspec.Struct, kw_only=True, frozen=True):
    """One `[[shoal.oidc_providers]]` table; see docs/sso.md for each provider's values."""

    name: str
    issuer: str
    client_id: str
    client_secret: str = ""
    client_secret_env: str = ""
    display_name: str = ""
    scopes: str = "openid profile email"
    groups_claim: str = "groups"


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    database_url: str = ""
    """PostgreSQL URL; empty = an embedded PostgreSQL (pgserver) in `data_dir`/postgres."""
    data_dir: str = ".data"
    """Where the embedded database, the generated secret key and Caddy's files live."""
    bind: str = "127.0.0.1:8000"
    """host:port the web server listens on."""
    public_url: str = ""
    """The URL users reach Shoal at (links in ingress error pages); empty = http://<bind>."""
    secret_key: str = ""
    """Master key (32 bytes, base64) for secrets and credentials; `up` generates one if empty."""
    old_secret_keys: str = ""
    """Earlier master keys (comma-separated), still accepted for reading during a rotation."""
    admin_password: str = ""
    """Password for the first admin created by `up`; empty = a random one, printed once."""
    session_hours: int = 12
    """How long a login session lasts without activity."""
    login_max_failures: int = 5
    """Failed logins per username and client address (x4 per address) before 429."""
    login_window_minutes: int = 15
    """The window over which failed logins are counted."""
    trusted_proxies: str = ""
    """Comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed."""
    metrics_token: str = ""
    """Bearer token for /metrics (Prometheus); empty = only admins (session or API token)."""
    db_pool_size: int = 10
    """Connections in each of the two pools (asyncpg for the ORM, psycopg for the SAQ queue)."""
    worker_concurrency: int = 10
    """Background jobs a SAQ worker runs at once."""
    dataset_max_mb: int = 4096
    """Largest dataset (a PostgreSQL dump) an upload or a URL fetch may bring, in MB."""
    caddy_admin: str = ""
    """Caddy's admin API URL for an operator-run Caddy; empty = `up` starts its own if installed."""
    ingress_bind: str = "127.0.0.1:8880"
    """Where the Caddy that `up` starts serves deployment URLs."""
    local_agent: bool = True
    """Whether `up` starts an agent for this host when Docker is reachable."""
    local_agent_listen: str = "127.0.0.1:5010"
    """host:port of the local agent that `up` starts."""
    hub_role: str = "auto"
    """`auto`: this process may hold the agent connections; `follower`: never (web-only)."""
    hub_heartbeat_timeout_s: float = 30.0
    """No message from an agent for this long → its node is offline."""
    hub_backoff_max_s: float = 30.0
    """The longest wait between reconnection attempts to an unreachable agent."""
    hub_request_timeout_s: float = 60.0
    """How long to wait for an agent's reply to a request."""
    registry_timeout_s: float = 10.0
    """Seconds to wait for a container registry when listing tags or testing a connection."""
    preview_image_wait_minutes: int = 30
    """How long a preview waits for its image tags to appear in the registry before it fails."""
    smtp_url: str = ""
    """Mail server for personal notifications: smtp+starttls://user:pass@host:587, smtps://, smtp://."""
    smtp_from: str = ""
    """Sender address of personal notification e-mails; empty = shoal@<smtp host>."""
    hub_publish_networks: str = ""
    """Addresses/CIDRs (comma-separated) agents may publish ports on besides their node host."""
    log_level: str = "info"
    """Logging level: debug, info, warning, error."""
    oidc_providers: list[OidcProviderSetting] = []
    """OpenID providers for single sign-on (kept in step with the UI's read-only rows)."""
    password_login: bool = True
    """Whether users may sign in with a password; false leaves it to `break_glass_admin`."""
    break_glass_admin: str = "admin"
    """The one user who may still sign in with a password when `password_login` is false."""

    @property
    def host(self) -> str:
        return self.bind.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.bind.rsplit(":", 1)[1])

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.bind}").rstrip("/")

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    @property
    def proxy_networks(self) -> tuple[IPNetwork, ...]:
        return networks(self.trusted_proxies)

    def __post_init__(self) -> None:
        networks(self.trusted_proxies)  # a typo must stop the program, not trust the wrong peer


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def networks(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated addresses or CIDRs → networks; ValueError naming a bad entry."""
    found = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"trusted_proxies: '{entry}' is not an address or CIDR") from None
    return tuple(found)


class SettingsError(Exception):
    """The settings file or an environment variable holds a value of the wrong shape."""


# Settings holding a list of tables: their environment variable is a JSON array.
LIST_FIELDS = {"oidc_providers"}


def _json_list(name: str, text: str) -> object:
    try:
        return msgspec.json.decode(text or "[]")
    except msgspec.DecodeError as exc:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()} is not a JSON array: {exc}") from exc


def field_names() -> list[str]:
    return list(Settings.__struct_fields__)


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    file = Path(path or environ.get("SHOAL_CONFIG") or DEFAULT_SETTINGS_FILE)
    if file.is_file():
        try:
            document = tomllib.loads(file.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{file}: {exc}") from exc
        values.update(document.get("shoal", {}))
    for name in field_names():
        env_value = environ.get(ENV_PREFIX + name.upper())
        if env_value is not None:
            values[name] = _json_list(name, env_value) if name in LIST_FIELDS else env_value
    unknown = set(values) - set(field_names())
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    try:
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting: {exc}") from exc
