"""Check-ins: MQTT ingest, the exactly-once write path, photos, the credential rules, retention, the reads."""
