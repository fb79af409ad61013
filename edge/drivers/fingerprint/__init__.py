"""Serial fingerprint modules of the R30x / AS608 / ZFM family (R303, R305, R307, R503, ZFM-20).

``codec`` owns the packets (pure encode / decode, command and confirmation
codes); ``reader`` owns the driver, :class:`FingerprintReader`, and its config.
"""

from edge.drivers.fingerprint.codec import CONFIRMATIONS, Command, SystemParameters
from edge.drivers.fingerprint.reader import FingerprintConfig, FingerprintReader

__all__ = ["CONFIRMATIONS", "Command", "FingerprintConfig", "FingerprintReader", "SystemParameters"]
