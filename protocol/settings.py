"""Loading settings from a TOML file plus environment variables, for both services.

Precedence: explicit keyword arguments, then environment variables, then the
TOML file, then defaults. A wrong key or value raises ConfigError naming it: one
line for one problem, a line per problem below a heading for several.
"""

from __future__ import annotations

import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, TomlConfigSettingsSource

from protocol.errors import ConfigError

__all__ = ["ConfigError", "FileSettings", "load_settings"]

_toml_file: ContextVar[Path | None] = ContextVar("_toml_file", default=None)


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
            raise ConfigError(f"配置文件不存在 / config file {config_file} does not exist: check the path")
        try:
            tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"配置文件格式错误 / {config_file} is not valid TOML: {exc}; fix that line") from exc
    token = _toml_file.set(config_file)
    try:
        return cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, config_file, cls.model_config.get("env_prefix", ""))) from exc
    finally:
        _toml_file.reset(token)


def _describe(exc: ValidationError, config_file: Path | None, env_prefix: str) -> str:
    where = f"config file {config_file} or the environment" if config_file else "the environment"
    problems = [_problem(error, env_prefix) for error in exc.errors(include_url=False)]
    if len(problems) == 1:
        return f"配置无效 / invalid configuration in {where}: {problems[0]}"
    return "\n  ".join([f"配置无效 / invalid configuration in {where}:", *problems])


def _problem(error: ErrorDetails, env_prefix: str) -> str:
    """One problem and its fix, e.g. ``unknown setting 'mqtt.prot' (remove it or correct its name)``."""
    key = ".".join(str(part) for part in error["loc"]) or "(root)"
    if error["type"] == "extra_forbidden":
        return f"unknown setting {key!r} (remove it or correct its name)"
    if error["type"] == "missing":
        # Nested keys may sit under a union's tag in loc (reader.pn532.port): name the variable of top-level keys only.
        variable = f"{env_prefix}{key.upper()}" if len(error["loc"]) == 1 else f"{env_prefix}<SECTION>__<KEY>"
        return f"setting {key!r}: required (add it to the config file, or set {variable})"
    return f"setting {key!r}: {error['msg']} (got {error.get('input')!r})"
