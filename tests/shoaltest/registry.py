"""Fixtures: registry (see module owner notes)."""
