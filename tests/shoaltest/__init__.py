"""Shared pytest fixtures for Shoal's tests (real PostgreSQL, dockerd, registry, Caddy).

Named `shoaltest`, not `tests`, because piccolo installs a top-level `tests` package.
"""
