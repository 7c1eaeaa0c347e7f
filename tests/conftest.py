"""Hypothesis profiles: CI (the CI variable is set) uses a fixed, derandomised example budget so
the suite is repeatable and stays within minutes on 2 cores; locally examples are drawn afresh.
Choose one by hand with HYPOTHESIS_PROFILE=ci|dev. And the lessons the tests run write below a
temporary folder, never into the checkout's minidl-output/ (a test that sets MINIDL_OUTPUT wins)."""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True, scope="session")
def lessons_write_outside_the_checkout(tmp_path_factory):
    os.environ.setdefault("MINIDL_OUTPUT", str(tmp_path_factory.mktemp("minidl-output")))
