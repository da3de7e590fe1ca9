"""Shared test options: ``--overwrite`` regenerates golden files on purpose."""

import pytest


def pytest_addoption(parser):
    parser.addoption("--overwrite", action="store_true", help="rewrite golden files from the current output")


@pytest.fixture
def overwrite(request) -> bool:
    return request.config.getoption("--overwrite")
