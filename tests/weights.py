"""Random weights that keep a signal alive through a deep network: He-scaled conv and linear
weights, BatchNorms near the identity. With PyTorch's default initialisation and untrained
running statistics, the outputs of the deep family networks hardly depend on their input,
and comparing two implementations' outputs would prove little."""

from __future__ import annotations

import math

import torch


def signal_state(shapes: list[tuple[str, list[int], torch.dtype]], seed: int = 0) -> dict[str, torch.Tensor]:
    """A state_dict for ``(key, shape, dtype)`` rows, in their order."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, shape, dtype in shapes:
        if dtype == torch.int64:
            out[key] = torch.randint(0, 1000, shape, generator=g, dtype=torch.int64)
        elif key.endswith("running_var"):
            out[key] = 1 + 0.1 * torch.rand(shape, generator=g)
        elif len(shape) >= 2:  # a conv's or a linear layer's weight
            out[key] = torch.randn(shape, generator=g) * math.sqrt(2 / math.prod(shape[1:]))
        elif key.endswith(".weight") or key.endswith("_bn.weight"):  # BatchNorm's scale
            out[key] = 1 + 0.1 * torch.randn(shape, generator=g)
        else:  # biases, running means
            out[key] = 0.1 * torch.randn(shape, generator=g)
    return out


def signal_state_of(model: torch.nn.Module, seed: int = 0) -> dict[str, torch.Tensor]:
    return signal_state([(k, list(v.shape), v.dtype) for k, v in model.state_dict().items()], seed)
