"""Fixtures: docker (see module owner notes)."""
