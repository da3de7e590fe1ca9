"""Shared test options: ``--overwrite`` regenerates golden files on purpose.

The tests run PyTorch on one thread: their tensors are tiny, and on a busy two-core machine the
threads of a second one spin against each other (a small network's forward pass took 0.5 s on
two threads and 3 ms on one). Tests that measure threads set their own."""

import pytest
import torch

torch.set_num_threads(1)


def pytest_addoption(parser):
    parser.addoption("--overwrite", action="store_true", help="rewrite golden files from the current output")


@pytest.fixture
def overwrite(request) -> bool:
    return request.config.getoption("--overwrite")
