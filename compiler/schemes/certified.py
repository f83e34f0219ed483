"""What the certified samplers share: ``gibbs_bound``, the Gibbs-state certificate.

Dense (n ≤ 5): :mod:`~kmsgibbs.compiler.analysis.certificate`. With a spectral gap (any n the gap and
a per-step bound reach): :mod:`~kmsgibbs.compiler.analysis.gap_certificate`.
"""

from __future__ import annotations

import math

import numpy as np

from ..analysis.certificate import MAX_CERTIFICATE_QUBITS, GibbsCertificate
from ..analysis.error_budget import ErrorBound
from ..analysis.gap_certificate import GapContraction, SpectralGapLike, chi_squared, gap_certificate, gap_lower_bound
from ..physics.lindbladian import Lindbladian

__all__ = ["GibbsCertified"]


class GibbsCertified:
    """Mixin for samplers with ``num_steps``, ``dt``, ``lindbladian``, a ``_certificate`` built from their
    exact step channels (n ≤ 5) and a ``_step_bound()`` (one step's error over states, named terms)."""

    _certificate: GibbsCertificate
    lindbladian: Lindbladian
    dt: float

    def _step_bound(self) -> ErrorBound:
        raise NotImplementedError

    def gibbs_bound(self, time: float, *, rho0: np.ndarray | None = None, gap: SpectralGapLike | None = None) -> ErrorBound:
        """A bound on ½‖E[ρ_circuit(t)] − σ_β‖₁ that saturates in t (E: the instances' mean).

        Without ``gap`` (n ≤ 5), method ``"certificate"``: with Φ the circuits' exact channel over one
        cycle (the dilation step, or the randomized scheme's averaged channel over its coherent
        cycle), E = Φ − e^{τL}:

        * ``transient``: ½‖e^{tL}ρ₀ − σ_β‖₁, what the ideal evolution has left;
        * ``accumulated``: ½‖Σ_j e^{(k−1−j)τL} E e^{jτL}ρ₀‖₁, each cycle's error on the ideal state,
          damped exactly by the ideal semigroup from the moment it is made;
        * ``remainder``: the second-order rest, through the contraction η(s) of e^{sL} on traceless
          operators (Choi bound of e^{sL} − P_σ) and ε ≥ ‖E‖ on them (Choi bound);
        * ``average_quadrature`` (randomized only, an estimate): the averaged channel's quadrature.

        ``time=math.inf`` bounds every fixed point σ̃ of the cycle channel by ½‖GEσ‖₁/(1 − κ), G the
        resolvent Σ_i e^{iτL} on traceless operators, κ ≥ ‖GE‖.

        With ``gap`` (any n; required above n = 5), method ``"gap_certificate"``:
        ½‖ρ_k − σ‖₁ ≤ ``transient`` + Σ_terms e_term·Σ_{i<k} η(i dt), η(s) ≤ min(1, √(1/λ_min(σ) − 1)e^{−λ₋s}),
        the transient ½e^{−λ₋t}√χ²(ρ₀, σ), and one term per term of the per-step error bound (dilation
        sampler: the norms budget over one step, rigorous with a light cone whose windows have ≤ 6
        qubits). A Lanczos gap marks every term as estimated (its lower bound excludes no eigenvalue
        below it); a dense one does not. The inequalities and their proofs:
        :mod:`~kmsgibbs.compiler.analysis.certificate`,
        :mod:`~kmsgibbs.compiler.analysis.gap_certificate` and docs/certificate.md.

        Args:
            time: a multiple of dt, or ``math.inf``.
            rho0: the initial state, a (d, d) density matrix; ``None`` bounds every initial state.
            gap: the generator's ``SpectralGap`` (``simulators.exact.gap(S.lindbladian)``).

        Raises:
            ValueError: n > 5 without ``gap``; a sampler without a scalable per-step bound (randomized)
                or with the system Hamiltonian (no KMS contraction); an unresolved gap.

        References:
            Szehr & Wolf, arXiv:1210.1171; Wang, Zhang & Li, arXiv:2111.09622; Temme et al.,
            arXiv:1005.2358; Watrous, Theory of Quantum Information, §3.3.
        """
        if gap is None:
            if self.lindbladian.num_qubits > MAX_CERTIFICATE_QUBITS:
                raise ValueError(
                    f"above n = {MAX_CERTIFICATE_QUBITS} the Gibbs certificate needs the spectral gap: "
                    "gibbs_bound(t, gap=kmsgibbs.simulators.exact.gap(S.lindbladian))"
                )
            if time == math.inf:
                return self._certificate.fixed_point()
            return self._certificate.bound(self.num_steps(time), rho0)
        return self._gap_bound(time, rho0, gap)

    def _gap_bound(self, time: float, rho0: np.ndarray | None, gap: SpectralGapLike) -> ErrorBound:
        if getattr(self, "include_system_hamiltonian", False):
            raise ValueError("the gap certificate needs the KMS generator alone (include_system_hamiltonian=False)")
        lower = gap_lower_bound(gap)
        sigma = self.lindbladian.gibbs_state()
        smallest = float(np.linalg.eigvalsh(sigma)[0])
        contraction = GapContraction(gap=lower.value, prefactor=math.sqrt(max(1.0 / smallest - 1.0, 0.0)))
        steps = math.inf if time == math.inf else self.num_steps(time)
        if time == math.inf:
            transient = 0.0
        elif rho0 is None:
            transient = min(1.0, 0.5 * contraction.prefactor * math.exp(-lower.value * time))
        else:
            rho = np.asarray(rho0, dtype=complex)
            if rho.shape != sigma.shape or abs(np.trace(rho) - 1) > 1e-8 or not np.allclose(rho, rho.conj().T, atol=1e-10):
                raise ValueError(f"rho0 must be a {sigma.shape} density matrix (Hermitian, trace 1), got shape {rho.shape}")
            start = 0.5 * float(np.abs(np.linalg.eigvalsh(rho - sigma)).sum())
            transient = min(start, 0.5 * math.exp(-lower.value * time) * math.sqrt(max(chi_squared(rho, sigma), 0.0)))
        return gap_certificate(
            contraction, self._step_bound(), time=time, steps=steps, dt=self.dt, transient=transient, estimated=not lower.excluded
        )
