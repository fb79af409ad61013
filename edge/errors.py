"""Exceptions of the terminal. One base; drivers raise DriverError subclasses."""


class EdgeError(Exception):
    """Base of every error the terminal raises on purpose."""


class DriverError(EdgeError):
    """A hardware driver failed."""


class ReaderError(DriverError):
    """The card reader failed or sent something that is not a card read."""


class ReaderDisconnected(ReaderError):
    """The reader's port went away (unplug, pty closed); the pipeline reconnects."""


class FramingError(ReaderError):
    """Bytes that do not form a valid frame (bad length, bad checksum, bad parity)."""


class ChecksumError(FramingError):
    """A frame whose checksum does not match its contents."""


class FingerprintError(DriverError):
    """The fingerprint module failed. ``code`` is its confirmation code when it answered with one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class FingerprintDisconnected(FingerprintError):
    """The module's port went away (unplug, pty closed); the caller reconnects."""


class FingerprintTimeout(FingerprintError):
    """The module did not answer in time, or stopped answering in the middle of a transfer."""


class FingerprintPacketError(FingerprintError):
    """A damaged or unexpected packet (bad checksum, wrong identifier, a reply too short)."""


class FingerprintRefused(FingerprintError):
    """The module answered with a confirmation code other than 00; ``name`` says which."""

    def __init__(self, message: str, code: int, name: str) -> None:
        super().__init__(message, code)
        self.name = name


class NoFingerError(FingerprintRefused):
    """02: no finger on the sensor."""


class PoorImageError(FingerprintRefused):
    """03-07, 15, 17: the image could not be taken or gave too few features; place the finger again."""


class NoMatchError(FingerprintRefused):
    """08: the two character buffers are not the same finger."""


class FingerNotFoundError(FingerprintRefused):
    """09: a search found no template that matches."""


class CombineFailedError(FingerprintRefused):
    """0A: the two captures of an enrolment could not be combined (not the same finger)."""


class BadPageError(FingerprintRefused):
    """0B: a page id beyond the module's library."""


class WrongPasswordError(FingerprintRefused):
    """13, 21: the module's password is wrong, or must be verified first."""


class CameraError(DriverError):
    """The camera gave no usable frame (unplugged, black frame, timeout)."""


class OutboxFull(EdgeError):
    """The outbox reached its quota; the tap cannot be recorded."""


class TemplateFileError(EdgeError):
    """An enrolment or watchlist file that is malformed or was made by another face model."""
