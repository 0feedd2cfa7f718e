"""The matching rules of a bank: its active MatchRules over the built-in defaults (which fields
make two records the same customer, the weights of the scored comparison, the thresholds that
merge at once or queue a review, and the trusted order of source systems)."""

import dataclasses
import decimal

from customers.ecif.matching.models import SCORED_FIELDS, MatchRule

DEFAULT_WEIGHTS = {
    "retail": {"name": 35, "birth_date": 25, "phone": 15, "email": 10, "address": 15},
    "corporate": {"name": 50, "phone": 20, "email": 10, "address": 20},
}


DEFAULT_UPPER = decimal.Decimal("90")


DEFAULT_LOWER = decimal.Decimal("70")


@dataclasses.dataclass
class KindRules:
    deterministic: list
    weights: dict
    upper: decimal.Decimal
    lower: decimal.Decimal
    source_priority: list


def rules_for(bank_id):
    """{customer kind: KindRules} from the bank's active MatchRules, built-in defaults where none."""

    result = {
        kind: KindRules(
            ["identity"] if kind == "retail" else ["registration_code"], dict(weights), DEFAULT_UPPER, DEFAULT_LOWER, []
        )
        for kind, weights in DEFAULT_WEIGHTS.items()
    }
    rules = MatchRule.objects.filter(bank_id=bank_id, is_active=True).order_by("id")
    deterministic_seen = set()
    for rule in rules:
        kind_rules = result[rule.applies_to]
        if rule.kind == MatchRule.Kind.DETERMINISTIC:
            if rule.applies_to not in deterministic_seen:
                kind_rules.deterministic = []
                deterministic_seen.add(rule.applies_to)
            kind_rules.deterministic.extend(k for k in rule.fields if k not in kind_rules.deterministic)
        else:
            kind_rules.weights = {k: float(v) for k, v in rule.fields.items() if k in SCORED_FIELDS}
            kind_rules.upper, kind_rules.lower = rule.upper_threshold, rule.lower_threshold
            kind_rules.source_priority = list(rule.source_priority or [])
    return result
