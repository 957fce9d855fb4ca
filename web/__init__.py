"""Vitrine's front: the Tornado backend-for-frontend, its settings and its command line."""
