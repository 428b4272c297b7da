"""Scenario files: schema, loader, overrides and the shipped Liaoyuan scenarios."""

from jiedao.scenarios.errors import ScenarioError
from jiedao.scenarios.loader import BUILTIN, load, with_overrides
from jiedao.scenarios.model import Community, District, Scenario, Street
from jiedao.scenarios.overrides import Override, Vary, parse_override, parse_vary

__all__ = [
    "BUILTIN",
    "Community",
    "District",
    "Override",
    "Scenario",
    "ScenarioError",
    "Street",
    "Vary",
    "load",
    "parse_override",
    "parse_vary",
    "with_overrides",
]
