"""Reports to regulators: the monthly statistics per jurisdiction and per company (``monthly``)."""
