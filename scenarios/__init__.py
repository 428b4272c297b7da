"""Scenario files: schema, loader and the shipped Liaoyuan scenarios."""

from scenarios.errors import ScenarioError
from scenarios.loader import BUILTIN, load
from scenarios.model import Community, District, Scenario, Street

__all__ = ["BUILTIN", "Community", "District", "Scenario", "ScenarioError", "Street", "load"]
