"""Extend: the durations offered and the bounds of what may be asked."""

import pytest

from core.domain.extension import check_hours, choices, label
from core.errors import InvalidInput


def test_labels_use_days_and_weeks_when_exact():
    assert [label(h) for h in (1, 5, 24, 36, 72, 168, 336)] == [
        "1 hour",
        "5 hours",
        "1 day",
        "36 hours",
        "3 days",
        "1 week",
        "2 weeks",
    ]


@pytest.mark.parametrize(
    ("period", "offered"),
    [
        (1, [1]),
        (8, [1, 2, 4, 8]),
        (36, [1, 2, 4, 8, 24, 36]),
        (168, [1, 2, 4, 8, 24, 48, 72, 168]),
        (0, [1]),  # a broken period still offers something
    ],
)
def test_choices_stop_at_the_cleanup_period_which_comes_last(period, offered):
    assert [hours for hours, _ in choices(period)] == offered


def test_no_hours_means_the_whole_period():
    assert check_hours(None, 168) == 168


@pytest.mark.parametrize("hours", [1, 7, 168])
def test_hours_within_the_period_are_kept(hours):
    assert check_hours(hours, 168) == hours


@pytest.mark.parametrize("hours", [0, -3, 169, 2**40, True])
def test_hours_outside_the_period_are_refused_on_the_hours_field(hours):
    with pytest.raises(InvalidInput) as refused:
        check_hours(hours, 168)
    assert refused.value.field == "hours" and "1 to 168 hours (1 week" in refused.value.detail
