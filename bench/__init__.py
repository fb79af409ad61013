"""Benchmarks behind ``guardpost bench NAME``; each prints a table (``--json`` for machines)."""
