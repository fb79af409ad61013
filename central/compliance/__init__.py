"""Rules that run without a tap: the registry checked as a whole (``check``)."""
