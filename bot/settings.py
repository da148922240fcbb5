"""Settings, read from the environment once, in the app factory (never at import time)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The built-in values of the secrets: public (they are in this file), so they are accepted only in demo or
# emulator mode, where nobody outside signs anything. Field -> (variable, what it protects, demo value).
SECRETS: dict[str, tuple[str, str, str]] = {
    "zalo_oa_secret_key": ("ZALO_OA_SECRET_KEY", "it verifies the signature of Zalo's webhooks", "TEST_OA_SECRET_KEY"),
    "zalo_app_secret": ("ZALO_APP_SECRET", "it refreshes the OA's access tokens", "demo-app-secret"),
    "payment_gateway_secret": (
        "PAYMENT_GATEWAY_SECRET",
        "it verifies the payment gateway's callbacks that settle fees",
        "demo-gateway-secret",
    ),
}
DEMO_STAFF_TOKEN = "demo-staff-token"  # noqa: S105 - what `./dev start` sets; refused outside demo mode
DEMO_REFRESH_TOKEN = "demo-refresh-token-0"  # noqa: S105 - the emulator's seed


class InsecureSettings(RuntimeError):
    """Demo secrets outside demo or emulator mode: the service must not start."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False, populate_by_name=True)

    demo: bool = Field(
        False,
        validation_alias="tracuu_demo",
        description="Demo mode (`serve --demo`): built-in demo secrets accepted, the emulated bank mounted.",
    )

    redis_url: str | None = Field(None, description="Unset: the embedded store (fakeredis), not for production.")
    redis_key_prefix: str = Field("tracuu", description="Namespace of every key; lets tests share a server.")
    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str | None = Field(None, description="Base of links sent to citizens; default http://HOST:PORT.")
    staff_api_token: SecretStr | None = Field(None, description="Bearer token of staff endpoints; unset disables them.")
    payment_gateway_secret: SecretStr = Field(
        SecretStr(SECRETS["payment_gateway_secret"][2]), description="Partner secret that signs gateway callbacks."
    )
    payment_gateway_url: str | None = Field(
        None, description="The payment platform's page that /pay/{id} hands the citizen over to (outside demo mode)."
    )
    province: str = Field("kontum", description="`kontum`, `quangngai` or a path to a province JSON file.")
    catalog_path: str | None = Field(
        None, description="Built catalog (.json.gz) or records (.jsonl); default fixtures."
    )
    max_body_bytes: int = 256 * 1024

    # Zalo OA. Defaults are demo values that only the emulator accepts.
    zalo_app_id: str = "1234567890123456789"
    zalo_oa_id: str = "3886132808798806450"
    zalo_oa_secret_key: SecretStr = Field(
        SecretStr(SECRETS["zalo_oa_secret_key"][2]), description="Signs webhooks (not the app secret)."
    )
    zalo_app_secret: SecretStr = Field(
        SecretStr(SECRETS["zalo_app_secret"][2]), description="Sent as secret_key to refresh tokens."
    )
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    zalo_refresh_token: str | None = Field(DEMO_REFRESH_TOKEN, description="Seed; the live pair rotates in Redis.")
    zalo_access_token: str | None = None
    zalo_emulator: bool = Field(False, description="Run the Zalo emulator in-process and talk to it over loopback.")
    emulator_retry_schedule: str = Field("1,5,30", description="Seconds between webhook redeliveries.")
    emulator_quiet_seconds: float = Field(0.3, description="Silence that ends a burst of OA replies to one user.")
    zalo_image_hosts: str = Field(
        ".zadn.vn,.zdn.vn,.zalo.me", description="Hosts photos may be fetched from; `.domain` includes subdomains."
    )
    image_max_bytes: int = 15 * 1024 * 1024
    image_fetch_timeout_seconds: float = 10.0
    zalo_emulator_url: str | None = Field(
        None, description="A Zalo emulator running as its own process (`python -m bot emulator`): its base URL."
    )
    emulator_webhook_urls: str | None = Field(
        None, description="Where the emulator delivers webhooks, comma-separated (round robin); default this server."
    )
    run_worker: bool = Field(True, description="`serve` also runs a worker; set false when workers run apart.")
    intake_shards: int = Field(16, description="Streams the intake is spread over; the same in every process.")
    intake_lease_ms: int = Field(10_000, description="A dead worker's shards move to another after this.")
    worker_max_in_flight: int = Field(256, description="Events one worker handles at once (different citizens).")
    worker_metrics_port: int = Field(9101, description="`worker` serves /healthz, /readyz and /metrics here.")
    messages_per_minute: int = Field(20, description="A citizen's messages answered per minute.")
    oa_calls_per_second: int = Field(
        50, description="OA API calls per second for all workers together; set to your OA's quota."
    )
    conversation_ttl_seconds: int = 24 * 3600
    transcript_retention_days: int = Field(90, description="Conversations are deleted (expire) after this.")
    transcript_key: SecretStr | None = Field(
        None, description="Base64 of 32 bytes: seals unmasked transcript text for audited reveals; unset: none kept."
    )
    staff_cookie_secret: SecretStr | None = Field(
        None, description="Signs staff session cookies; unset: one is generated and shared through Redis."
    )
    staff_cookie_secure: bool | None = Field(
        None, description="Secure flag of staff cookies; unset: when the request came over HTTPS (see trusted proxies)."
    )
    trusted_proxies: str = Field(
        "", description="Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (IPs or CIDRs, commas)."
    )
    # Per-client limits of the web (README "Running in production"): 429 with Retry-After beyond them.
    lookups_per_minute: int = Field(30, description="Dossier lookups (API, receipt, lookup page) per client.")
    lookup_misses_per_15_minutes: int = Field(20, description="Lookups of codes that do not exist, per client.")
    security_checks_per_minute: int = Field(10, description="Requests carrying a security code, per client.")
    payment_requests_per_minute: int = Field(20, description="Payment requests and payment pages, per client.")
    staff_logins_per_minute: int = Field(10, description="Staff login attempts per client.")
    webhook_max_skew_seconds: int = Field(
        15 * 60, description="Webhook timestamps further than this from our clock are refused (replays)."
    )
    redis_max_connections: int | None = Field(
        None, description="Redis connection pool size; unset: sized from the worker's concurrency."
    )
    redis_pool_timeout_seconds: float = Field(5.0, description="How long a request waits for a free connection.")

    @field_validator("webhook_max_skew_seconds")
    @classmethod
    def _window_inside_dedupe(cls, value: int) -> int:
        from bot.intake.queue import DEDUPE_TTL_SECONDS

        # A delivery older than the dedupe keys would be accepted twice: keep the window well inside.
        if not 0 < value * 2 <= DEDUPE_TTL_SECONDS:
            raise ValueError(f"WEBHOOK_MAX_SKEW_SECONDS must be between 1 and {DEDUPE_TTL_SECONDS // 2}")
        return value

    @property
    def demo_mode(self) -> bool:
        """Demo or emulator mode: nobody outside Zalo's emulator and the emulated bank signs anything, so
        the built-in demo secrets are accepted and the stand-ins for outside parties are mounted."""
        return self.demo or self.zalo_emulator or bool(self.zalo_emulator_url)

    def insecure_secrets(self, fields: tuple[str, ...] = tuple(SECRETS)) -> list[str]:
        """One line per secret that is missing or has its built-in demo value; [] in demo mode."""
        if self.demo_mode:
            return []
        problems = []
        for name in fields:
            variable, purpose, demo_value = SECRETS[name]
            value = getattr(self, name).get_secret_value()
            if name not in self.model_fields_set or not value.strip():
                problems.append(f"refusing to start: {variable} is not set ({purpose}; the built-in demo value is "
                                "accepted only with --demo, --emulator or ZALO_EMULATOR=true)")  # fmt: skip
            elif value == demo_value:
                problems.append(f"refusing to start: {variable} has the built-in demo value ({purpose}; set the real "
                                "secret)")  # fmt: skip
        if self.staff_api_token is not None and self.staff_api_token.get_secret_value() == DEMO_STAFF_TOKEN:
            problems.append("refusing to start: STAFF_API_TOKEN has the demo value of `./dev start` (it lets anyone "
                            "receive and move dossiers; set a long random token)")  # fmt: skip
        return problems

    def demo_secrets_in_use(self) -> list[str]:
        """The variables still holding their built-in demo values (for the demo-mode warning)."""
        return [variable for name, (variable, _, demo) in SECRETS.items() if getattr(self, name).get_secret_value()
                == demo]  # fmt: skip

    @property
    def seed_refresh_token(self) -> str | None:
        """The refresh token to seed the OA's token pair with: the emulator's demo seed only in demo mode."""
        if self.zalo_refresh_token == DEMO_REFRESH_TOKEN and not self.demo_mode:
            return None
        return self.zalo_refresh_token

    @property
    def redis_pool_size(self) -> int:
        """Connections this process may open: REDIS_MAX_CONNECTIONS, or one per turn a worker runs at
        once, one per shard's blocking read and 64 for the web's requests and background tasks."""
        if self.redis_max_connections:
            return self.redis_max_connections
        return self.worker_max_in_flight + self.intake_shards + 64

    @property
    def loopback_url(self) -> str:
        """This process's own server, for in-process peers (emulator, emulated bank)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def emulator_base(self) -> str | None:
        """The emulated Zalo: in this process, in another one, or none (the real Zalo)."""
        if self.zalo_emulator:
            return self.loopback_url
        return self.zalo_emulator_url.rstrip("/") if self.zalo_emulator_url else None

    @property
    def oa_api_base(self) -> str:
        return self.emulator_base or self.zalo_api_base.rstrip("/")

    @property
    def oa_oauth_base(self) -> str:
        return self.emulator_base or self.zalo_oauth_base.rstrip("/")

    @property
    def webhook_urls(self) -> list[str]:
        if self.emulator_webhook_urls:
            return [u.strip() for u in self.emulator_webhook_urls.split(",") if u.strip()]
        return [f"{self.loopback_url}/webhook/zalo"]

    @property
    def image_policy_hosts(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(allowed hosts, local endpoints). In emulation the emulator's image path is the image host;
        nothing else local ever is."""
        hosts = tuple(h.strip() for h in self.zalo_image_hosts.split(",") if h.strip())
        if self.emulator_base:
            # Only the emulator's own image path: not its other routes, nor any other loopback port.
            from urllib.parse import urlsplit

            host = urlsplit(self.emulator_base).hostname or "127.0.0.1"
            return (*hosts, host), (f"{self.emulator_base}/emulator/media/",)
        return hosts, ()

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104 - comparing, not binding
        return f"http://{host}:{self.port}"
