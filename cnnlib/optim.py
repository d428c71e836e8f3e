"""The optimisers the engine trains with: SGD (with momentum, Nesterov's or not) and Adam or AdamW,
each weight update one fused kernel (torch._fused_sgd_, _fused_adam_, _fused_adamw_), the same maths
as torch.optim's classes with fused=True, result for result (tests/test_optim.py).

Why not torch.optim itself: its step() imports torch._dynamo, the compiler's front end, which a
long-lived server then keeps in memory for nothing (75 MB of a class server's 1 GB; BENCHMARKS.md
§6). These classes keep what the engine, GradScaler and Lookahead use of an optimizer: `param_groups`
(each with its own lr, momentum or betas, and weight decay), `state`, `step()` and `zero_grad()`;
and `state_dict()` / `load_state_dict()`, so that a saved run can be continued exactly.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import torch
from torch import Tensor

from cnnlib.words import Message


class _Fused:
    """Parameter groups and per-weight state, as torch.optim.Optimizer keeps them."""

    def __init__(self, params, defaults: dict):
        groups = list(params)
        if groups and not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults = defaults
        self.param_groups = [{**defaults, **g, "params": list(g["params"])} for g in groups]
        self.state: defaultdict[Tensor, dict] = defaultdict(dict)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    def state_dict(self) -> dict:
        """The per-weight state in torch.optim's layout: {"state": {index: {name: tensor}}, "param_groups":
        [{hyperparameters, "params": [indices]}]}, weights numbered in group order (as torch numbers them)."""
        index = {id(p): i for i, p in enumerate(p for g in self.param_groups for p in g["params"])}
        return {"state": {index[id(p)]: dict(s) for p, s in self.state.items() if s},
                "param_groups": [{**{k: v for k, v in g.items() if k != "params"},
                                  "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]}

    def load_state_dict(self, saved: dict) -> None:
        """Take up `state_dict()`'s per-weight state (momentum, Adam's averages and step counts); the
        hyperparameters stay this optimiser's. A state that does not fit these weights (another
        network, another optimiser's buffers) raises ValueError and changes nothing."""
        params = [p for g in self.param_groups for p in g["params"]]
        state = saved.get("state") if isinstance(saved, dict) else None
        if not isinstance(state, dict):
            raise ValueError(Message("optim.misfit"))
        loaded = {}
        for i, s in state.items():
            if not isinstance(i, int) or not 0 <= i < len(params) or not isinstance(s, dict):
                raise ValueError(Message("optim.misfit"))
            p = params[i]
            for t in s.values():
                if not isinstance(t, Tensor) or (t.dim() and t.shape != p.shape):
                    raise ValueError(Message("optim.misfit"))
            loaded[p] = {name: t.to(p.device, dtype=p.dtype if t.dim() else t.dtype) for name, t in s.items()}
        self.state.clear()
        self.state.update(loaded)

    def _groups(self) -> Iterator[tuple[dict, list[Tensor], list[Tensor]]]:
        """(group, its weights that have a gradient, those gradients) for each group with any."""
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                yield group, params, [p.grad for p in params]


class SGD(_Fused):
    """torch.optim.SGD(fused=True): momentum without dampening, optional Nesterov, L2 weight decay."""

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov,
                                      dampening=0.0))

    @torch.no_grad()
    def step(self) -> None:
        for group, params, grads in self._groups():
            momentum = group["momentum"]
            buffers = [self.state[p].get("momentum_buffer") for p in params] if momentum else []
            first = bool(buffers) and all(b is None for b in buffers)
            if first:
                buffers = [torch.empty_like(g) for g in grads]
                for p, b in zip(params, buffers):
                    self.state[p]["momentum_buffer"] = b
            torch._fused_sgd_(params, grads, buffers, weight_decay=group["weight_decay"], momentum=momentum,
                              lr=group["lr"], dampening=group["dampening"], nesterov=group["nesterov"],
                              maximize=False, is_first_step=first)


class Adam(_Fused):
    """torch.optim.Adam(fused=True), or AdamW's decoupled weight decay with `decoupled=True`."""

    def __init__(self, params, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))
        self.decoupled = decoupled

    @torch.no_grad()
    def step(self) -> None:
        for group, params, grads in self._groups():
            for p in params:
                s = self.state[p]
                if not s:
                    s["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
                    s["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    s["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            states = [self.state[p] for p in params]
            steps = [s["step"] for s in states]
            torch._foreach_add_(steps, 1)
            update = torch._fused_adamw_ if self.decoupled else torch._fused_adam_
            beta1, beta2 = group["betas"]
            update(params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states], [], steps,
                   amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
                   eps=group["eps"], maximize=False)
