"""Composite Gauss–Legendre rules used for smoothed spectra, Lamb shifts and Fourier integrals."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

GL_ORDER = 16


@lru_cache(maxsize=8)
def _legendre(order: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(order)
    return x, w


def composite_gauss_legendre(
    breakpoints: np.ndarray, max_width: float, *, order: int = GL_ORDER
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of a composite Gauss–Legendre rule.

    Each interval between consecutive (sorted, unique) breakpoints is split into equal panels of
    width at most ``max_width``; the integrand only needs to be smooth inside each panel, so
    kinks belong among the breakpoints.
    """
    edges = np.unique(np.asarray(breakpoints, dtype=float))
    x, w = _legendre(order)
    nodes, weights = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        panels = max(1, int(np.ceil((hi - lo) / max_width)))
        cuts = np.linspace(lo, hi, panels + 1)
        half = 0.5 * np.diff(cuts)[:, None]
        mid = 0.5 * (cuts[1:] + cuts[:-1])[:, None]
        nodes.append((mid + half * x).ravel())
        weights.append((half * w).ravel())
    return np.concatenate(nodes), np.concatenate(weights)


def split_gauss_legendre(
    lo: float, hi: float, kinks: np.ndarray, panels: int, *, order: int = GL_ORDER
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised rule on ``[lo, hi]`` split at a per-row kink (shape ``(m,)``).

    Returns nodes and weights of shape ``(m, 2 * panels * order)``; a kink outside ``[lo, hi]``
    is clipped to the end, which leaves one side empty (zero weights).
    """
    kinks = np.clip(np.asarray(kinks, dtype=float), lo, hi)[:, None]
    x, w = _legendre(order)
    frac = np.linspace(0.0, 1.0, panels + 1)
    parts_n, parts_w = [], []
    for a, b in ((np.full_like(kinks, lo), kinks), (kinks, np.full_like(kinks, hi))):
        cuts = a + (b - a) * frac  # (m, panels + 1)
        half = 0.5 * np.diff(cuts, axis=1)[:, :, None]
        mid = 0.5 * (cuts[:, 1:] + cuts[:, :-1])[:, :, None]
        parts_n.append((mid + half * x).reshape(len(kinks), -1))
        parts_w.append((half * w).reshape(len(kinks), -1))
    return np.concatenate(parts_n, axis=1), np.concatenate(parts_w, axis=1)
