"""The mapping layer: the Annex A 2022 catalogue, rules as data, and the rule engine.

It never calls cloud APIs and never touches the database.
"""

from annexa.mappings.catalogue import Catalogue, Control, load_catalogue
from annexa.mappings.engine import Evaluation, RuleEngine
from annexa.mappings.rules import Rule, RuleError, load_rules

__all__ = [
    "Catalogue",
    "Control",
    "Evaluation",
    "Rule",
    "RuleEngine",
    "RuleError",
    "load_catalogue",
    "load_rules",
]
