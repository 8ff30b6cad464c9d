"""The seed's fully connected ξ → C network (seed 002, "Surrogate model"): 4–512–256–21, ReLU, MSE, Adam.

Inputs ξ (n_groups fractions) and outputs (the 21 independent entries of C, GPa) are normalised
to zero mean and unit variance per column over the training set; the network is trained on the
whole training set per step (the databases here hold tens of combinations, so a mini-batch would
only add noise) for ``epochs`` epochs with the seed's piecewise learning rate: 1e-2 for the first
20 %, 1e-3 until 50 %, 1e-4 after (its 1000 epochs: 200 / 300 / 500). Deterministic: the weights
are drawn from ``torch.Generator(seed)``, training runs in float64 on the CPU with one thread
and deterministic algorithms, so the same data and seed give the same predictions bit for bit.

torch is the ``ai`` extra: it is imported when a model is fitted or used, and its absence is an
ImportError that says how to install it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _validate

__all__ = ["MLPRegressor", "SEED_HIDDEN"]

#: The seed's hidden layers (512 then 256 ReLU units).
SEED_HIDDEN = (512, 256)


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("MLPRegressor needs torch (the `ai` extra): pip install 'voxtwin[ai]', "
                          "or use the Gaussian process (fit_surrogate(..., model='gp'))") from exc
    return torch


def _net(torch: Any, n_in: int, n_out: int, hidden: tuple[int, ...], generator: Any) -> Any:
    layers, width = [], n_in
    for h in hidden:
        layers += [torch.nn.Linear(width, h, dtype=torch.float64), torch.nn.ReLU()]
        width = h
    layers.append(torch.nn.Linear(width, n_out, dtype=torch.float64))
    net = torch.nn.Sequential(*layers)
    with torch.no_grad():  # PyTorch's default init (Kaiming-uniform bounds), drawn from our generator
        for m in net:
            if isinstance(m, torch.nn.Linear):
                bound = 1.0 / np.sqrt(m.in_features)
                m.weight.uniform_(-bound, bound, generator=generator)
                m.bias.uniform_(-bound, bound, generator=generator)
    return net


@dataclass
class MLPRegressor:
    """Fitted network: ``predict(X)`` returns outputs in the units they were given.

    ``loss`` is the training MSE (normalised units) per epoch, ``seconds`` the training wall time.
    """

    net: Any
    x_mean: np.ndarray
    x_scale: np.ndarray
    y_mean: np.ndarray
    y_scale: np.ndarray
    hidden: tuple[int, ...]
    seed: int
    epochs: int
    loss: list[float] = field(default_factory=list, repr=False)
    seconds: float = 0.0

    @classmethod
    def fit(cls, X: np.ndarray, Y: np.ndarray, *, hidden: tuple[int, ...] = SEED_HIDDEN, epochs: int = 1000,
            seed: int = 0, weight_decay: float = 0.0) -> MLPRegressor:
        """Trains on inputs ``X`` [n, d] and outputs ``Y`` [n, m] (full batch, Adam, the seed's schedule).

        ``hidden`` widths of the ReLU layers (the seed's 512, 256); ``epochs`` (the seed's 1000);
        ``seed`` the weights' generator; ``weight_decay`` Adam's L2 penalty (0 as in the seed).
        """
        torch = _torch()
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y) or len(X) < 2:
            raise ValueError(f"`X` [n, d] and `Y` [n, m] must be 2D with the same n >= 2, got {X.shape} and {Y.shape}")
        if not (np.isfinite(X).all() and np.isfinite(Y).all()):
            raise ValueError("`X` and `Y` must be finite")
        epochs = _validate.integer("epochs", epochs, minimum=1)
        seed = _validate.seed(seed)
        hidden = tuple(_validate.integer("hidden", h, minimum=1) for h in hidden)
        weight_decay = _validate.real("weight_decay", weight_decay)
        if weight_decay < 0:
            raise ValueError(f"`weight_decay` must be >= 0, got weight_decay={weight_decay!r}")
        x_mean, x_scale = X.mean(axis=0), X.std(axis=0)
        y_mean, y_scale = Y.mean(axis=0), Y.std(axis=0)
        x_scale[x_scale == 0] = 1.0
        y_scale[y_scale == 0] = 1.0
        threads = torch.get_num_threads()
        deterministic = torch.are_deterministic_algorithms_enabled()
        start = time.perf_counter()
        try:
            torch.set_num_threads(1)
            torch.use_deterministic_algorithms(True)
            gen = torch.Generator().manual_seed(seed)
            net = _net(torch, X.shape[1], Y.shape[1], hidden, gen)
            xt = torch.from_numpy((X - x_mean) / x_scale)
            yt = torch.from_numpy((Y - y_mean) / y_scale)
            opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=weight_decay)
            marks = (round(0.2 * epochs), round(0.5 * epochs))
            losses = []
            for e in range(epochs):
                if e in marks:
                    for gr in opt.param_groups:
                        gr["lr"] *= 0.1
                opt.zero_grad()
                loss = torch.mean((net(xt) - yt) ** 2)
                loss.backward()
                opt.step()
                losses.append(float(loss.detach()))
        finally:
            torch.set_num_threads(threads)
            torch.use_deterministic_algorithms(deterministic)
        net.eval()
        return cls(net, x_mean, x_scale, y_mean, y_scale, hidden, seed, epochs, losses, time.perf_counter() - start)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Outputs [n, m] for inputs ``X`` [n, d] (or one input [d], as a row)."""
        torch = _torch()
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if X.shape[1] != len(self.x_mean):
            raise ValueError(f"`X` must have {len(self.x_mean)} columns, got shape {X.shape}")
        with torch.no_grad():
            out = self.net(torch.from_numpy((X - self.x_mean) / self.x_scale)).numpy()
        return out * self.y_scale + self.y_mean
