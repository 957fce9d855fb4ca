"""Vitrine's front: the Tornado backend-for-frontend (app, page handlers, templates, assets)."""
