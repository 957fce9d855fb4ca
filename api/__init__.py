"""Vitrine's business API: method implementations over a real database, via ZeroMQ and HTTP."""
