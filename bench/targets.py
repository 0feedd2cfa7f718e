"""The last lines of every bench suite: one line per target the issues named, exactly

    TARGET <suite>.<metric> value=<number><unit> goal=<op><number><unit> MET|MISSED

so that a note, a person or a script can read the verdicts without reading the tables above.
A suite adds its targets while it measures and prints them once at the end."""

import operator

OPERATORS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt}


def number(value):
    """A figure as a person reads it: whole above 100, else three significant digits."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def telling(value, op, bound, met):
    """number(value), with as many more digits as it takes to show the verdict: 3.004 against <=3 is
    "3.004", not "3" next to MISSED."""
    shown = number(value)
    digits = 4
    while OPERATORS[op](float(shown), bound) != met and digits <= 12:
        shown, digits = f"{value:.{digits}g}", digits + 1
    return shown


class Targets:
    def __init__(self, suite):
        self.suite = suite
        self.lines = []

    def add(self, metric, value, unit, goal):
        """`goal` like "<=80": an operator and a number in the same unit as `value`."""
        op = next(o for o in ("<=", ">=", "<", ">") if goal.startswith(o))
        bound = float(goal[len(op) :])
        met = OPERATORS[op](value, bound)
        verdict = "MET" if met else "MISSED"
        shown = telling(value, op, bound, met)
        self.lines.append(f"TARGET {self.suite}.{metric} value={shown}{unit} goal={op}{number(bound)}{unit} {verdict}")

    def print(self):
        print()
        for line in self.lines:
            print(line, flush=True)
