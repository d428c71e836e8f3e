"""The engine's optimisers (cnnlib.optim) against torch.optim's fused ones: the same weights after
the same steps, result for result, with parameter groups of their own learning rates and weight
decay, and with learning rate and momentum changed between steps as the engine does.

    .venv/bin/python -m pytest tests/test_optim.py -q
"""
from __future__ import annotations

import pytest
import torch

from cnnlib import optim
from cnnlib.config import preset
from cnnlib.train import make_optimizer


def train(make, steps: int = 6) -> list[torch.Tensor]:
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.BatchNorm1d(5), torch.nn.Linear(5, 3))
    groups = [dict(params=[m[0].weight, m[2].weight, m[2].bias], lr_scale=1.0, weight_decay=1e-3),
              dict(params=[m[1].bias, m[0].bias], lr_scale=4.0, weight_decay=2.5e-4)]
    opt = make(groups)
    g = torch.Generator().manual_seed(1)
    for i in range(steps):
        for group in opt.param_groups:          # a schedule, as the engine sets it before every step
            group["lr"] = 0.05 * group["lr_scale"] * (1 - i / 10)
            if i == 3:                           # a live change of momentum
                if "betas" in group:
                    group["betas"] = (0.7, group["betas"][1])
                else:
                    group["momentum"] = 0.5
        loss = m(torch.randn(16, 7, generator=g)).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return [p.detach().clone() for p in m.parameters()]


@pytest.mark.parametrize("name, theirs, ours", [
    ("sgd, Nesterov", lambda gs: torch.optim.SGD(gs, lr=0.1, momentum=0.9, nesterov=True, fused=True),
     lambda gs: optim.SGD(gs, lr=0.1, momentum=0.9, nesterov=True)),
    ("sgd, momentum", lambda gs: torch.optim.SGD(gs, lr=0.1, momentum=0.9, fused=True),
     lambda gs: optim.SGD(gs, lr=0.1, momentum=0.9)),
    ("sgd, plain", lambda gs: torch.optim.SGD(gs, lr=0.1, fused=True), lambda gs: optim.SGD(gs, lr=0.1)),
    ("adam", lambda gs: torch.optim.Adam(gs, lr=0.01, betas=(0.8, 0.99), fused=True),
     lambda gs: optim.Adam(gs, lr=0.01, betas=(0.8, 0.99))),
    ("adamw", lambda gs: torch.optim.AdamW(gs, lr=0.01, betas=(0.8, 0.99), fused=True),
     lambda gs: optim.Adam(gs, lr=0.01, betas=(0.8, 0.99), decoupled=True)),
])
def test_the_same_weights_as_torchs_fused_optimisers(name, theirs, ours):
    for a, b in zip(train(theirs), train(ours)):
        assert torch.equal(a, b), name


def test_the_engine_builds_them_from_the_config():
    model = torch.nn.Linear(3, 2)
    sgd = make_optimizer(preset("fast-cpu"), model)
    assert isinstance(sgd, optim.SGD) and sgd.param_groups[0]["nesterov"] and sgd.param_groups[0]["lr"] == 0.2
    adamw = make_optimizer(preset("tutorial", optimizer="adamw", momentum=0.85), model)
    assert isinstance(adamw, optim.Adam) and adamw.decoupled and adamw.param_groups[0]["betas"] == (0.85, 0.999)
    assert not make_optimizer(preset("tutorial", optimizer="adam"), model).decoupled


def test_zero_grad_and_weights_without_a_gradient():
    w, frozen = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2))
    opt = optim.SGD([w, frozen], lr=0.5, momentum=0.9)
    (w * 2).sum().backward()
    opt.step()                                                   # frozen has no gradient: left as it is
    assert torch.equal(w.detach(), torch.zeros(3)) and torch.equal(frozen.detach(), torch.ones(2))
    opt.zero_grad(set_to_none=False)
    assert torch.equal(w.grad, torch.zeros(3))
    opt.zero_grad()
    assert w.grad is None
