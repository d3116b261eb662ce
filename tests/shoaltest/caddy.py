"""Fixtures: caddy (see module owner notes)."""
