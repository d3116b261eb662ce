"""Shoal node agent: a TLS WebSocket server that runs deployments on this node's dockerd."""

__version__ = "0.1.0"
