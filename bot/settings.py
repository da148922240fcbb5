"""Settings, read from the environment once, in the app factory (never at import time)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    redis_url: str | None = Field(None, description="Unset: the embedded store (fakeredis), not for production.")
    redis_key_prefix: str = Field("tracuu", description="Namespace of every key; lets tests share a server.")
    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str | None = Field(None, description="Base of links sent to citizens; default http://HOST:PORT.")
    staff_api_token: SecretStr | None = Field(None, description="Bearer token of staff endpoints; unset disables them.")
    payment_gateway_secret: SecretStr = Field(
        SecretStr("demo-gateway-secret"), description="Partner secret that signs gateway callbacks."
    )
    province: str = Field("kontum", description="`kontum`, `quangngai` or a path to a province JSON file.")
    catalog_path: str | None = Field(
        None, description="Built catalog (.json.gz) or records (.jsonl); default fixtures."
    )
    max_body_bytes: int = 256 * 1024

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104 - comparing, not binding
        return f"http://{host}:{self.port}"
