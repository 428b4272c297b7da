"""Allocation of social-worker posts and service funds."""
