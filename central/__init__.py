"""Central service: ingest, registry, rules, attendance, alerts, API and dashboard."""
