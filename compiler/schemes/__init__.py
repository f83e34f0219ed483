"""Schemes: compile a Lindbladian into a sampler (dilation steps, block-encodings, bath emulation)."""

from __future__ import annotations

from .compile import DILATION_LIMIT, SCHEMES, compile_sampler
from .design import DesignFrontier, SamplerDesign, design_frontier, design_sampler

__all__ = ["DILATION_LIMIT", "SCHEMES", "compile_sampler", "design_frontier", "design_sampler", "DesignFrontier", "SamplerDesign"]
