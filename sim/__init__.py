"""Discrete-event simulation of windows, grids and enforcement teams."""
