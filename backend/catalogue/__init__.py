"""The catalogue of administrative procedures (TTHC) and the agencies that handle them."""
