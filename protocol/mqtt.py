"""MQTT connection settings and client construction, shared by terminals and central.

Production speaks MQTT 5 to Mosquitto (session expiry set explicitly, shared
subscriptions); the demo's embedded broker speaks MQTT 3.1.1 only, so the
protocol is a setting rather than a constant.
"""

from __future__ import annotations

import ssl
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import BaseModel, ConfigDict, Field, SecretStr


class MqttSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    protocol: Literal["5", "3.1.1"] = "5"
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)
    reconnect_min_s: float = Field(default=1.0, gt=0)
    reconnect_max_s: float = Field(default=30.0, gt=0)


def tls_files(settings: MqttSettings) -> list[tuple[str, str]]:
    """(setting, path) of each file the connection will open: none without TLS."""
    if not settings.tls:  # without TLS, paho never opens them
        return []
    named = [
        ("mqtt.ca_file", settings.ca_file),
        ("mqtt.cert_file", settings.cert_file),
        ("mqtt.key_file", settings.key_file),
    ]
    return [(key, path) for key, path in named if path is not None]


def create_client(settings: MqttSettings, client_id: str) -> mqtt.Client:
    """A paho client configured from ``settings``; the caller sets callbacks and connects."""
    protocol = mqtt.MQTTv5 if settings.protocol == "5" else mqtt.MQTTv311
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        clean_session=None if protocol == mqtt.MQTTv5 else False,
    )
    if settings.username is not None:
        password = settings.password.get_secret_value() if settings.password else None
        client.username_pw_set(settings.username, password)
    if settings.tls:
        client.tls_set(
            ca_certs=settings.ca_file,
            certfile=settings.cert_file,
            keyfile=settings.key_file,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    client.reconnect_delay_set(int(settings.reconnect_min_s), int(settings.reconnect_max_s))
    return client


def connect_properties(settings: MqttSettings) -> Properties | None:
    """CONNECT properties for MQTT 5: an explicit session expiry (absent means 0, ending the session)."""
    if settings.protocol != "5":
        return None
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = settings.session_expiry_s
    return props


def connect_async(client: mqtt.Client, settings: MqttSettings) -> None:
    """Start connecting in the background; paho's loop thread reconnects with backoff."""
    kwargs: dict[str, object] = {"keepalive": settings.keepalive_s}
    if settings.protocol == "5":
        kwargs["clean_start"] = False
        kwargs["properties"] = connect_properties(settings)
    client.connect_async(settings.host, settings.port, **kwargs)  # type: ignore[arg-type]


def reason_ok(reason_code: ReasonCode | int) -> bool:
    """True when a CONNACK/SUBACK reason code means success (checked before calling ourselves connected)."""
    if isinstance(reason_code, int):
        return reason_code == 0
    return not reason_code.is_failure
