"""U-Net segmentation trained on sparse brush annotations (seed 000: Geometry-Find AI segmentation).

``UNet3D`` learns from 3D windows, ``UNet2D`` from 2D windows on slices; both take a grey-value
volume and annotations (-1 = unlabelled), compute the loss only on annotated voxels, and predict
by sliding windows with overlap blending. Defaults are seed 000's hyperparameters: depth 2,
16 features, a 52-voxel window, 3 epochs.

Reproducibility: weights are initialised from ``seed`` and windows drawn from a generator seeded
with ``seed``; training and prediction run with torch's deterministic algorithms and a fixed
number of CPU threads (``num_threads``), so the same inputs, seed and ``num_threads`` give
byte-identical weights and labels on the same machine type. Results differ in the last bits with
another thread count (oneDNN splits its sums by thread) and between CPU and CUDA (float rounding).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from .. import __version__
from .._progress import progress_bar
from .._validate import choice, fraction, integer, positive
from .._validate import seed as check_seed
from ..errors import BackendUnavailableError, FileFormatError
from ._checks import grey_image
from .classes import UNLABELLED
from .network import UNet
from .windows import blend_weights, pad_to, tiles

__all__ = ["UNet3D", "UNet2D", "load_model", "torch_device"]

_FORMAT_VERSION = 1
_BALANCE = ("none", "sampling", "loss")
_AXES = {"x": 0, "y": 1, "z": 2}
_NORM_SAMPLE = 2_000_000  # voxels used to estimate the intensity normalization (a strided sample)
# Predictions use an exponential moving average of the weights over the last ~20 steps: it evens
# out the last noisy steps on a few thousand annotated voxels (fibre IoU over 4 seeds 0.744 -> 0.757).
_WEIGHT_AVERAGE_DECAY = 0.95
_LOSS_REPORT_EVERY = 10  # steps between updates of the loss shown on the progress bar


def torch_device(device: str) -> torch.device:
    """``"auto" | "cpu" | "cuda"`` → a torch device; ``cuda`` without a GPU visible to torch is an error."""
    if not isinstance(device, str) or device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"`device` must be 'auto', 'cpu' or 'cuda', got device={device!r}")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        build = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise BackendUnavailableError(
            f"device='cuda' requested but torch {torch.__version__} ({build}) sees no CUDA GPU; "
            "use device='cpu', or install a CUDA build of torch==2.13.0 on a machine with a GPU")
    return torch.device(device)


@contextlib.contextmanager
def _reproducible(num_threads: int) -> Iterator[None]:
    """Deterministic kernels and a fixed CPU thread count, restoring the caller's settings afterwards."""
    previous = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(),
                torch.is_deterministic_algorithms_warn_only_enabled(),
                torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    torch.set_num_threads(num_threads)
    # warn_only: an op without a deterministic CUDA kernel warns instead of failing the run
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.set_num_threads(previous[0])
        torch.use_deterministic_algorithms(previous[1], warn_only=previous[2])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = previous[3], previous[4]


def _check_classes(classes: object) -> tuple[int, ...]:
    if isinstance(classes, (int, np.integer)) and not isinstance(classes, bool):
        n = integer("classes", classes, minimum=2)
        if n > 255:
            raise ValueError(f"`classes` must be at most 255, got classes={classes!r}")
        return tuple(range(n))
    if isinstance(classes, Sequence) and not isinstance(classes, str):
        labels = tuple(integer(f"classes[{i}]", c, minimum=0) for i, c in enumerate(classes))
        if len(labels) >= 2 and len(set(labels)) == len(labels) and max(labels) <= 255:
            return labels
    raise ValueError(f"`classes` must be a number of classes >= 2 or distinct labels in 0..255 such as (1, 2), "
                     f"got classes={classes!r}")


class _UNetSegmenter:
    """Shared estimator logic; the subclasses fix the dimension of the network (2D or 3D)."""

    ndim: ClassVar[int]
    _kind: ClassVar[str]

    def __init__(self, depth: int = 2, features: int = 16, window: int = 52, *, epochs: int = 3,
                 steps_per_epoch: int = 100, batch_size: int = 2, learning_rate: float = 2e-3,
                 classes: int | Sequence[int] = 3, overlap: float = 0.25, class_balance: str = "sampling",
                 augment: bool = True, num_threads: int = 1, device: str = "auto", seed: int = 0) -> None:
        self.depth = integer("depth", depth, minimum=1)
        self.features = integer("features", features, minimum=1)
        self.window = integer("window", window, minimum=2**self.depth)
        if self.window % 2**self.depth:
            raise ValueError(f"`window` must be a multiple of 2**depth = {2**self.depth}, got window={window!r}")
        self.epochs = integer("epochs", epochs, minimum=1)
        self.steps_per_epoch = integer("steps_per_epoch", steps_per_epoch, minimum=1)
        self.batch_size = integer("batch_size", batch_size, minimum=1)
        self.learning_rate = positive("learning_rate", learning_rate)
        self.classes = _check_classes(classes)
        self.overlap = fraction("overlap", overlap, open_low=False)
        self.class_balance = choice("class_balance", class_balance, _BALANCE)
        self.augment = bool(augment)
        self.num_threads = integer("num_threads", num_threads, minimum=1)
        self.device = choice("device", device, ("auto", "cpu", "cuda"))
        self.seed = check_seed(seed)
        self.net_: UNet | None = None
        self.normalization_: tuple[float, float] | None = None  # (offset, scale): x -> (x - offset) / scale
        self.history_: list[float] = []  # mean training loss of each epoch since the last fresh fit
        self.fits_ = 0  # fits since the last fresh one: seeds the windows of the next warm-started fit

    # -- what the subclasses differ in -------------------------------------------------------------
    def _stack(self, array: np.ndarray) -> np.ndarray:
        """The image as the 3D array the windows cut (identity in 3D, slices first in 2D)."""
        return array

    def _unstack(self, array: np.ndarray, image_ndim: int) -> np.ndarray:
        return array

    def _window_shape(self) -> tuple[int, int, int]:
        return (self.window,) * 3

    def _image_ndims(self) -> tuple[int, ...]:
        return (3,)

    def _hyperparameters(self) -> dict[str, Any]:
        return {"depth": self.depth, "features": self.features, "window": self.window, "epochs": self.epochs,
                "steps_per_epoch": self.steps_per_epoch, "batch_size": self.batch_size,
                "learning_rate": self.learning_rate, "classes": list(self.classes), "overlap": self.overlap,
                "class_balance": self.class_balance, "augment": self.augment, "num_threads": self.num_threads,
                "device": self.device, "seed": self.seed}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyperparameters().items())
        return f"{type(self).__name__}({args})"

    # -- training ----------------------------------------------------------------------------------
    def _new_network(self, device: torch.device) -> UNet:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            net = UNet(self.ndim, len(self.classes), self.depth, self.features)
        return net.to(device)

    def _targets(self, annotations: object, shape: tuple[int, ...]) -> np.ndarray:
        """Annotations (labels or -1) → class indices (0..n-1 or -1) as int8."""
        if not isinstance(annotations, np.ndarray) or annotations.dtype.kind not in "iu":
            raise TypeError("`annotations` must be an integer numpy array (class labels, -1 = unlabelled), got "
                            f"{type(annotations).__name__}{getattr(annotations, 'dtype', '')}")
        if annotations.shape != shape:
            raise ValueError(f"`annotations` must have the shape of `image` {shape}, got "
                             f"annotations.shape={annotations.shape}")
        values = np.unique(annotations)
        unknown = [int(v) for v in values if v != UNLABELLED and int(v) not in self.classes]
        if unknown:
            raise ValueError(f"`annotations` holds labels {unknown} that are not in classes={self.classes} "
                             "(use -1 for unlabelled voxels)")
        if values.size == 0 or values.max() < 0:
            raise ValueError("`annotations` must mark at least one voxel (all are -1 = unlabelled)")
        lut = np.full(256 + 1, -1, dtype=np.int8)  # index 0 holds -1 (unlabelled), label L at L + 1
        for index, label in enumerate(self.classes):
            lut[label + 1] = index
        return lut[annotations.astype(np.int16) + 1]

    def _normalization(self, image: np.ndarray) -> tuple[float, float]:
        sample = image.ravel()[:: max(1, image.size // _NORM_SAMPLE)].astype(np.float64)
        offset, scale = float(sample.mean()), float(sample.std())
        return offset, scale if scale > 0 else 1.0

    def _normalized(self, image: np.ndarray) -> np.ndarray:
        assert self.normalization_ is not None
        offset, scale = self.normalization_
        return ((image.astype(np.float32) - np.float32(offset)) / np.float32(scale)).astype(np.float32, copy=False)

    def fit(self, image: np.ndarray, annotations: np.ndarray, *, epochs: int | None = None,
            warm_start: bool = False, progress: bool = True) -> _UNetSegmenter:
        """Train on the annotated voxels of ``image``.

        Args:
            image: grey values indexed [x, y, z] (``UNet2D`` also takes a 2D image [x, y]).
            annotations: integer array of the same shape: a label of ``classes`` where a person
                brushed, -1 elsewhere. The loss is computed on annotated voxels only.
            epochs: overrides the ``epochs`` hyperparameter for this call. An epoch is
                ``steps_per_epoch`` optimizer steps on ``batch_size`` windows, each centred near an
                annotated voxel (see ``class_balance``).
            warm_start: continue from the current weights and normalization (a new round of
                annotations) instead of starting afresh.
            progress: show a progress bar with the running loss.

        Returns:
            self, trained.
        """
        image = grey_image(image, self._image_ndims())
        target = self._targets(annotations, image.shape)
        n_epochs = self.epochs if epochs is None else integer("epochs", epochs, minimum=1)
        device = torch_device(self.device)
        with _reproducible(self.num_threads):
            if self.net_ is None or not warm_start:
                self.normalization_ = self._normalization(image)
                self.net_ = self._new_network(device)
                self.history_ = []
                self.fits_ = 0  # a fresh fit repeats exactly what a new model with this seed does
            self.net_.to(device)
            self._train(self._stack(self._normalized(image)), self._stack(target), n_epochs, device, progress)
        self.fits_ += 1
        return self

    def _train(self, volume: np.ndarray, target: np.ndarray, n_epochs: int, device: torch.device,
               show: bool) -> None:
        win = self._window_shape()
        volume, _ = pad_to(volume, win)
        target, _ = pad_to(target, win)  # edge padding repeats labels, still correct beside the edge
        rng = np.random.default_rng([self.seed, self.fits_])
        n_classes = len(self.classes)
        by_class = [np.argwhere(target == c) for c in range(n_classes)]
        present = [c for c in range(n_classes) if len(by_class[c])]
        counts = np.array([len(v) for v in by_class], dtype=np.float64)
        weights = np.zeros(n_classes, dtype=np.float32)
        if self.class_balance == "loss":
            weights[present] = counts.sum() / (len(present) * counts[present])
        else:
            weights[present] = 1.0
        class_weight = torch.from_numpy(weights).to(device)
        all_voxels = np.concatenate([by_class[c] for c in present])
        assert self.net_ is not None
        net = self.net_
        net.train()
        optimizer = torch.optim.Adam(net.parameters(), lr=self.learning_rate)
        total = n_epochs * self.steps_per_epoch
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: _learning_rate_factor(k, total))
        bar = progress_bar(total, desc=f"train {type(self).__name__}", enabled=show, unit="step")
        average = [p.detach().clone() for p in net.parameters()]
        try:
            for _ in range(n_epochs):
                losses = []
                for step in range(self.steps_per_epoch):
                    xb, yb = self._batch(volume, target, by_class, present, all_voxels, rng)
                    x = torch.from_numpy(xb).to(device)
                    y = torch.from_numpy(yb).to(device)
                    optimizer.zero_grad(set_to_none=True)
                    loss = _masked_loss(net(x), y, class_weight)
                    loss.backward()
                    optimizer.step()
                    schedule.step()
                    with torch.no_grad():
                        for avg, p in zip(average, net.parameters()):
                            avg.lerp_(p, 1.0 - _WEIGHT_AVERAGE_DECAY)
                    losses.append(float(loss.detach()))
                    bar.update(1)
                    if step % _LOSS_REPORT_EVERY == 0:
                        bar.set_postfix(loss=f"{losses[-1]:.4f}")
                self.history_.append(float(np.mean(losses)))
        finally:
            bar.close()
        with torch.no_grad():
            for avg, p in zip(average, net.parameters()):
                p.copy_(avg)
        net.eval()

    def _batch(self, volume: np.ndarray, target: np.ndarray, by_class: list[np.ndarray], present: list[int],
               all_voxels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``batch_size`` windows around annotated voxels, randomly flipped (image, class indices)."""
        win = np.array(self._window_shape())
        shape = np.array(volume.shape)
        xs, ys = [], []
        for _ in range(self.batch_size):
            if self.class_balance != "none":
                pool = by_class[present[rng.integers(len(present))]]
            else:
                pool = all_voxels
            centre = pool[rng.integers(len(pool))]
            jitter = rng.integers(-(win // 4), win // 4 + 1)
            corner = np.clip(centre - win // 2 + jitter, 0, shape - win)
            sl = tuple(slice(int(c), int(c) + int(w)) for c, w in zip(corner, win))
            x, y = volume[sl], target[sl]
            if self.augment:
                flip = tuple(ax for ax in range(3) if win[ax] > 1 and rng.integers(2))
                if flip:
                    x, y = np.flip(x, flip), np.flip(y, flip)
            xs.append(x)
            ys.append(y)
        xb = np.ascontiguousarray(np.stack(xs)[:, None], dtype=np.float32)
        yb = np.stack(ys).astype(np.int64)
        if self.ndim == 2:  # windows are (1, w, w) slices of the stack
            xb, yb = xb[:, :, 0], yb[:, 0]
        return np.ascontiguousarray(xb), np.ascontiguousarray(yb)

    # -- prediction --------------------------------------------------------------------------------
    def _require_fitted(self) -> UNet:
        if self.net_ is None or self.normalization_ is None:
            raise RuntimeError(f"this {type(self).__name__} is not trained: call fit(image, annotations) or load(path)")
        return self.net_

    def predict_proba(self, image: np.ndarray, *, batch_size: int | None = None,
                      progress: bool = True) -> np.ndarray:
        """Class probabilities, float32 array (n_classes, *image.shape), in the order of ``classes``.

        Sliding windows with ``overlap``; each window's softmax is weighted by a taper falling
        towards its faces and the weighted mean is taken where windows overlap.
        """
        net = self._require_fitted()
        image = grey_image(image, self._image_ndims())
        bs = self.batch_size if batch_size is None else integer("batch_size", batch_size, minimum=1)
        device = torch_device(self.device)
        win = self._window_shape()
        volume, crop = pad_to(self._stack(self._normalized(image)), win)
        n_classes = len(self.classes)
        acc = np.zeros((n_classes, *volume.shape), dtype=np.float32)
        wsum = np.zeros(volume.shape, dtype=np.float32)
        weight = blend_weights(win, self.overlap)  # (1, w, w) in 2D: tapers in-plane only
        boxes = tiles(volume.shape, win, self.overlap)
        net.to(device).eval()
        bar = progress_bar(len(boxes), desc=f"predict {type(self).__name__}", enabled=progress, unit="window")
        try:
            with _reproducible(self.num_threads), torch.inference_mode():
                for first in range(0, len(boxes), bs):
                    batch = boxes[first:first + bs]
                    xb = np.stack([volume[sl] for sl in batch])[:, None]
                    if self.ndim == 2:
                        xb = xb[:, :, 0]
                    prob = torch.softmax(net(torch.from_numpy(np.ascontiguousarray(xb)).to(device)), dim=1)
                    prob_np = prob.cpu().numpy()
                    if self.ndim == 2:  # back to (batch, classes, 1, w, w) windows of the stack
                        prob_np = prob_np[:, :, None]
                    for sl, p in zip(batch, prob_np):
                        acc[(slice(None), *sl)] += p * weight
                        wsum[sl] += weight
                    bar.update(len(batch))
        finally:
            bar.close()
        acc /= wsum
        out = acc[(slice(None), *crop)]
        return np.ascontiguousarray(np.stack([self._unstack(o, image.ndim) for o in out]))

    def predict(self, image: np.ndarray, *, batch_size: int | None = None, progress: bool = True) -> np.ndarray:
        """Segment ``image``: uint8 labels (the values of ``classes``; 0 matrix, 1 fibre, 2 void by default)."""
        prob = self.predict_proba(image, batch_size=batch_size, progress=progress)
        lut = np.asarray(self.classes, dtype=np.uint8)
        return np.ascontiguousarray(lut[np.argmax(prob, axis=0)])

    # -- persistence -------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Save hyperparameters, normalization and weights to a torch file (``.pt``)."""
        net = self._require_fitted()
        p = Path(path)
        if not p.parent.is_dir():
            raise FileNotFoundError(f"{p.parent}: folder does not exist (saving {p.name})")
        state = {
            "kind": self._kind, "format_version": _FORMAT_VERSION, "voxtwin_version": __version__,
            "hyperparameters": self._hyperparameters(), "normalization": list(self.normalization_ or ()),
            "history": list(self.history_), "fits": self.fits_,
            "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
        }
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        try:
            torch.save(state, tmp)
            os.replace(tmp, p)
        finally:
            if tmp.exists():
                tmp.unlink()
        return p

    @classmethod
    def load(cls, path: str | os.PathLike, *, device: str | None = None) -> _UNetSegmenter:
        """Load a model written by ``save`` (``device`` overrides the saved one)."""
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"{p}: no such file")
        try:
            state = torch.load(p, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many kinds (pickle, zip, runtime) for a bad file
            raise FileFormatError(f"{p}: not a voxtwin U-Net file ({type(exc).__name__}: {exc})") from exc
        if not isinstance(state, dict) or state.get("kind") not in _KINDS:
            raise FileFormatError(f"{p}: not a voxtwin U-Net file (no 'kind' entry)")
        if state.get("format_version") != _FORMAT_VERSION:
            raise FileFormatError(f"{p}: U-Net file format {state.get('format_version')} is not supported "
                                  f"(this voxtwin reads {_FORMAT_VERSION})")
        klass = _KINDS[state["kind"]]
        if cls is not _UNetSegmenter and klass is not cls:
            raise FileFormatError(f"{p}: holds a {state['kind']}, not a {cls.__name__}; use {state['kind']}.load")
        hyper = dict(state["hyperparameters"])
        if device is not None:
            hyper["device"] = device
        model = klass(**hyper)
        model.normalization_ = (float(state["normalization"][0]), float(state["normalization"][1]))
        model.history_ = [float(v) for v in state["history"]]
        model.fits_ = int(state["fits"])
        net = UNet(model.ndim, len(model.classes), model.depth, model.features)
        try:
            net.load_state_dict(state["state_dict"])
        except RuntimeError as exc:
            raise FileFormatError(f"{p}: weights do not fit the saved hyperparameters ({exc})") from exc
        model.net_ = net.to(torch_device(model.device)).eval()
        return model


def _learning_rate_factor(step: int, total: int) -> float:
    """Linear warm-up over the first 10 % of the steps, then cosine decay to a tenth of the rate.

    The warm-up keeps a new round (``warm_start``, fresh Adam moments) from undoing what earlier
    rounds learnt; the decay lets training settle at the end.
    """
    warm = max(1, total // 10)
    if step < warm:
        return (step + 1) / warm
    phase = min(step - warm, total - warm) / max(1, total - warm)
    return 0.1 + 0.45 * (1.0 + float(np.cos(np.pi * phase)))


def _masked_loss(logits: torch.Tensor, target: torch.Tensor, class_weight: torch.Tensor) -> torch.Tensor:
    """Class-weighted cross entropy over annotated voxels only (target -1 contributes nothing).

    Written with a one-hot product instead of ``cross_entropy(ignore_index=-1)``, whose CUDA kernel
    is not deterministic.
    """
    log_p = torch.log_softmax(logits, dim=1)
    annotated = target >= 0
    safe = target.clamp(min=0)
    classes = torch.arange(logits.shape[1], device=logits.device).view(1, -1, *([1] * (logits.dim() - 2)))
    one_hot = (safe.unsqueeze(1) == classes).to(log_p.dtype)
    nll = -(one_hot * log_p).sum(dim=1)
    w = class_weight[safe] * annotated.to(log_p.dtype)
    return (nll * w).sum() / w.sum().clamp(min=torch.finfo(log_p.dtype).tiny)


class UNet3D(_UNetSegmenter):
    """3D U-Net segmenter: learns from 52³ windows (default) around brushed voxels.

    Args:
        depth: down-sampling levels of the U-Net (seed 000: 2).
        features: channels at full resolution, doubled at each level (seed 000: 16).
        window: edge of the cubic training/prediction window in voxels, a multiple of 2**depth
            (seed 000: 52).
        epochs: training epochs of ``fit`` (seed 000: 3); ``steps_per_epoch`` optimizer steps each.
        steps_per_epoch, batch_size, learning_rate: optimizer steps per epoch, windows per step, Adam's rate.
        classes: number of classes (labels 0..n-1; default 3: 0 matrix, 1 fibre, 2 void) or the label
            values themselves, e.g. ``(1, 2)`` for fibres in air.
        overlap: fraction of a window that neighbouring prediction windows share.
        class_balance: how rare annotated classes are helped: ``"sampling"`` (default) centres
            training windows on each class equally often; ``"loss"`` also weights the loss by the
            inverse annotated count of each class (it shifts boundaries towards rare classes: with
            brush strokes that fill thin fibres, fibres grow by a voxel); ``"none"`` draws windows
            around any annotated voxel (rare classes may never be learnt).
        augment: random flips of training windows.
        num_threads: CPU threads torch uses during fit and predict (the caller's setting is restored
            afterwards). Fixed rather than "all cores" because torch's CPU results change in the last
            bits with the thread count; 1 by default, which also ran fastest on shared 2-core machines.
        device: ``"auto" | "cpu" | "cuda"`` (torch's CUDA).
        seed: seeds the initial weights and the training windows.
    """

    ndim = 3
    _kind = "UNet3D"


class UNet2D(_UNetSegmenter):
    """2D U-Net segmenter working slice by slice on ``slice_axis`` (a 2D image is one slice).

    Same hyperparameters as :class:`UNet3D`, with ``window`` the edge of square in-plane windows,
    plus ``slice_axis`` (``"x"``, ``"y"`` or ``"z"``): the axis normal to the slices.
    """

    ndim = 2
    _kind = "UNet2D"

    def __init__(self, depth: int = 2, features: int = 16, window: int = 52, *, slice_axis: str = "z",
                 **kwargs: Any) -> None:
        super().__init__(depth, features, window, **kwargs)
        self.slice_axis = choice("slice_axis", slice_axis, tuple(_AXES))

    def _hyperparameters(self) -> dict[str, Any]:
        return {**super()._hyperparameters(), "slice_axis": self.slice_axis}

    def _image_ndims(self) -> tuple[int, ...]:
        return (2, 3)

    def _window_shape(self) -> tuple[int, int, int]:
        return (1, self.window, self.window)

    def _stack(self, array: np.ndarray) -> np.ndarray:
        if array.ndim == 2:
            return array[None]
        return np.moveaxis(array, _AXES[self.slice_axis], 0)

    def _unstack(self, array: np.ndarray, image_ndim: int) -> np.ndarray:
        if image_ndim == 2:
            return array[0]
        return np.moveaxis(array, 0, _AXES[self.slice_axis])


_KINDS: dict[str, type[_UNetSegmenter]] = {"UNet3D": UNet3D, "UNet2D": UNet2D}


def load_model(path: str | os.PathLike, *, device: str | None = None) -> _UNetSegmenter:
    """Load a segmenter saved by ``UNet3D.save`` or ``UNet2D.save``, whichever kind the file holds."""
    return _UNetSegmenter.load(path, device=device)
