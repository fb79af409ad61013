"""HTTP API: one router per audience, working through the domains (``central.registry``, ``central.checkins``, ...)."""
