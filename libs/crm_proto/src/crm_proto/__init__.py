"""Stubs generated from proto/."""
