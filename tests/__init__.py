"""The tests mirror the code: ``tests/edge/``, ``tests/central/<domain>/``, ``tests/e2e/`` (whole chains)."""

from pathlib import Path

__all__ = ["ROOT"]

ROOT = Path(__file__).resolve().parent.parent  # the checkout
