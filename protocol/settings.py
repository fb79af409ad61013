"""Loading settings from a TOML file plus environment variables, for both services.

Precedence: explicit keyword arguments, then environment variables, then the
TOML file, then defaults. A wrong key or value raises ConfigError naming it.
"""

from __future__ import annotations

import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, TomlConfigSettingsSource

_toml_file: ContextVar[Path | None] = ContextVar("_toml_file", default=None)


class ConfigError(ValueError):
    """Settings that cannot be used; the message names each offending key."""


class FileSettings(BaseSettings):
    """Base of service settings: reads the TOML file given to ``load_settings``."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _toml_file.get()
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        if path is not None:
            sources += (TomlConfigSettingsSource(settings_cls, toml_file=path),)
        return sources


S = TypeVar("S", bound=FileSettings)


def load_settings(cls: type[S], config_file: Path | None = None, **overrides: Any) -> S:
    """Validate settings once at start; raises ConfigError with one line per problem."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"配置文件不存在 / config file {config_file} does not exist")
        try:
            tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"配置文件格式错误 / {config_file} is not valid TOML: {exc}") from exc
    token = _toml_file.set(config_file)
    try:
        return cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, config_file)) from exc
    finally:
        _toml_file.reset(token)


def _describe(exc: ValidationError, config_file: Path | None) -> str:
    where = f"config file {config_file}" if config_file else "environment"
    lines = [f"配置无效 / invalid configuration in the {where} or the environment:"]
    for error in exc.errors(include_url=False):
        key = ".".join(str(part) for part in error["loc"]) or "(root)"
        if error["type"] == "extra_forbidden":
            lines.append(f"  unknown setting {key!r}")
        elif error["type"] == "missing":
            lines.append(f"  setting {key!r}: required")
        else:
            lines.append(f"  setting {key!r}: {error['msg']} (got {error.get('input')!r})")
    return "\n".join(lines)
