"""A serial fingerprint module of the R30x / AS608 family on a pty, speaking real packets.

``wire`` cuts and encodes packets (its own parser, not the driver's);
``fingers`` derives templates and scores them; ``module`` is the mock,
:class:`FingerprintMock`; ``cli`` runs ``guardpost mock fingerprint``.
Fingers are placed and lifted with ``place()`` and ``lift()`` (from a script or
stdin on the command line).
"""

from firmware_mocks.fingerprint.fingers import capture_template, finger_template, match_score
from firmware_mocks.fingerprint.module import FingerprintMock
from firmware_mocks.fingerprint.wire import encode_packet

__all__ = ["FingerprintMock", "capture_template", "encode_packet", "finger_template", "match_score"]
