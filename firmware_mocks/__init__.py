"""Programs that speak the readers' real byte protocols over a pseudo-terminal, and a mock camera."""
