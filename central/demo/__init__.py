"""Demo data: the fixed demo registry and a seeded month of attendance with its ground truth."""
