"""The database underneath every domain: engines and sessions, stable column types, ID-number sealing, migrations."""
