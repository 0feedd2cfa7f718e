"""The TARGET lines every bench suite ends with: the figure shows its verdict."""

from bench.targets import Targets


def lines(*targets):
    collected = Targets("suite")
    for metric, value, unit, goal in targets:
        collected.add(metric, value, unit, goal)
    return collected.lines


def test_a_figure_is_shown_with_as_many_digits_as_its_verdict_needs():
    assert lines(
        ("a", 3.004, "x", "<=3"),
        ("b", 1.834, "x", "<=2"),
        ("c", 200.4, "MB", "<=200"),
        ("d", 0.4996, "x", ">=0.5"),
        ("e", 171.2, "MB", "<=200"),
    ) == [
        "TARGET suite.a value=3.004x goal=<=3x MISSED",
        "TARGET suite.b value=1.83x goal=<=2x MET",
        "TARGET suite.c value=200.4MB goal=<=200MB MISSED",
        "TARGET suite.d value=0.4996x goal=>=0.5x MISSED",
        "TARGET suite.e value=171MB goal=<=200MB MET",
    ]
