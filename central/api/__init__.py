"""HTTP API: one router per audience, all reading through ``central.crud``."""
