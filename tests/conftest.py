"""Shared pytest set-up: a deterministic Hypothesis profile, so every run tests the same cases."""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "book",
    derandomize=True,
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("book")
