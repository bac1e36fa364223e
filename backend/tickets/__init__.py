"""Queue tickets taken from the phone at a centre's entrance (issue 19)."""
