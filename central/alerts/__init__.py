"""Wanted-person alerts: raised from matches, suppressed by earlier decisions, worked by the police, fanned out live."""
