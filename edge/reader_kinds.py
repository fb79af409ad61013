"""Names of the card-reader families: the ``type`` of a terminal's ``[reader]`` settings.

Standard library only, so that command lines can offer them as choices without
loading the drivers. ``edge.drivers`` has one driver and ``firmware_mocks.readers``
one mock per name (tests/edge/drivers/test_registry.py checks both).
"""

READER_KINDS: tuple[str, ...] = ("pn532", "em4100", "ascii", "wiegand", "resident_id")
