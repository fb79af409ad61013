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


class CameraError(DriverError):
    """The camera gave no usable frame (unplugged, black frame, timeout)."""


class OutboxFull(EdgeError):
    """The outbox reached its quota; the tap cannot be recorded."""


class TemplateFileError(EdgeError):
    """An enrolment or watchlist file that is malformed or was made by another face model."""
