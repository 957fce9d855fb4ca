"""Vitrine's business API: method implementations over a real database, served over ZeroMQ and HTTP."""
