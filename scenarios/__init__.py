"""Scenario files: schema, loader and the shipped Liaoyuan scenarios."""

from jiedao.scenarios.errors import ScenarioError
from jiedao.scenarios.loader import BUILTIN, load
from jiedao.scenarios.model import Community, District, Scenario, Street

__all__ = ["BUILTIN", "Community", "District", "Scenario", "ScenarioError", "Street", "load"]
