"""Cases: a violation taken up by the regulator, corrected (整改) by the company, closed."""
