"""What the densely certified samplers share: ``gibbs_bound``, the Gibbs-state certificate (n ≤ 5)."""

from __future__ import annotations

import math

import numpy as np

from ..analysis.certificate import GibbsCertificate
from ..analysis.error_budget import ErrorBound

__all__ = ["GibbsCertified"]


class GibbsCertified:
    """Mixin for samplers with ``num_steps`` and a ``_certificate`` built from their exact step channels."""

    _certificate: GibbsCertificate

    def gibbs_bound(self, time: float, *, rho0: np.ndarray | None = None) -> ErrorBound:
        """A bound on ½‖E[ρ_circuit(t)] − σ_β‖₁ that saturates in t (n ≤ 5; E: the instances' mean).

        With Φ the circuits' exact channel over one cycle (the dilation step, or the randomized
        scheme's averaged channel over its coherent cycle), E = Φ − e^{τL}:

        * ``transient``: ½‖e^{tL}ρ₀ − σ_β‖₁, what the ideal evolution has left;
        * ``accumulated``: ½‖Σ_j e^{(k−1−j)τL} E e^{jτL}ρ₀‖₁, each cycle's error on the ideal state,
          damped exactly by the ideal semigroup from the moment it is made;
        * ``remainder``: the second-order rest, through the contraction η(s) of e^{sL} on traceless
          operators (Choi bound of e^{sL} − P_σ) and ε ≥ ‖E‖ on them (Choi bound);
        * ``average_quadrature`` (randomized only, an estimate): the averaged channel's quadrature.

        ``time=math.inf`` bounds every fixed point σ̃ of the cycle channel by ½‖GEσ‖₁/(1 − κ), G the
        resolvent Σ_i e^{iτL} on traceless operators, κ ≥ ‖GE‖. The inequalities and their proofs:
        :mod:`~kmsgibbs.compiler.analysis.certificate` and docs/certificate.md.

        Args:
            time: a multiple of dt, or ``math.inf``.
            rho0: the initial state, a (d, d) density matrix; ``None`` bounds every initial state
                (each term's supremum over ρ₀, by Choi bounds).

        References:
            Szehr & Wolf, arXiv:1210.1171; Wang, Zhang & Li,
            arXiv:2111.09622; Watrous, Theory of Quantum Information, §3.3.
        """
        if time == math.inf:
            return self._certificate.fixed_point()
        return self._certificate.bound(self.num_steps(time), rho0)
