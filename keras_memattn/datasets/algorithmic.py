"""Algorithmic tasks generated on the fly, seeded: no files involved."""
