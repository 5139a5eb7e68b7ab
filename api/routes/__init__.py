"""Routers: pages (HTML), the JSON API under /api/v1, sign-in, health."""
