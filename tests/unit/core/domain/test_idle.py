"""Which idle period applies and when a deployment counts as idle (issue 20)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain import idle
from core.errors import InvalidInput

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("environment", "project", "expected"),
    [
        (None, None, 0),  # default: off
        (30, None, 30),  # the project inherits
        (30, 0, 0),  # the project never sleeps
        (None, 15, 15),  # the project turns it on alone
        (30, 5, 5),
        (0, None, 0),
    ],
)
def test_the_project_overrides_the_environment(environment, project, expected):
    assert idle.idle_minutes(environment, project) == expected


def test_idle_counts_from_the_later_of_traffic_and_its_last_status_change():
    woke = T0 + timedelta(minutes=50)
    assert idle.idle_since(None, T0) == T0
    assert idle.idle_since(T0 + timedelta(minutes=5), T0) == T0 + timedelta(minutes=5)
    assert idle.idle_since(T0 + timedelta(minutes=5), woke) == woke


def test_idle_once_the_whole_period_has_passed_and_never_when_off():
    assert not idle.is_idle(T0 + timedelta(minutes=29, seconds=59), T0, 30)
    assert idle.is_idle(T0 + timedelta(minutes=30), T0, 30)
    assert not idle.is_idle(T0 + timedelta(days=400), T0, 0)


def test_a_submitted_period_is_checked():
    assert idle.idle_problem(None) is None and idle.idle_problem(0) is None
    assert "negative" in (idle.idle_problem(-1) or "")
    assert "at most" in (idle.idle_problem(idle.MAX_IDLE_MINUTES + 1) or "")


def test_a_form_value_is_a_whole_number_or_empty():
    assert idle.parse_minutes("") is None and idle.parse_minutes(None) is None
    assert idle.parse_minutes(" 30 ") == 30
    with pytest.raises(InvalidInput, match="whole number") as refused:
        idle.parse_minutes("1.5")
    assert refused.value.field == "idle_minutes"
    with pytest.raises(InvalidInput, match="negative"):
        idle.check_minutes(-1)
