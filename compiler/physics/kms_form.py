"""The KMS-symmetrised form of a generator: S = Γ^{−1/2}∘L∘Γ^{1/2}, Γ^{1/2}(X) = σ^{1/4} X σ^{1/4}.

For a KMS-detailed-balanced L, S is Hermitian in the Hilbert–Schmidt inner product, so its spectrum
(the spectral gap) comes from a Hermitian Lanczos; with a Z₂ symmetry it splits into an even and an
odd sector. A mixin of :class:`~kmsgibbs.compiler.Lindbladian` (it reads the generator's basis,
kernel, rate and transition maps).

References:
    docs/master_equations.md (KMS detailed balance); Carlen & Maas, J. Funct. Anal. 273, 1810 (2017).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..finite import require_finite
from ..memory import memory_limit
from .transitions import FactorisedTransition, SparseTransition

__all__ = ["KmsSymmetrizedForm"]


class KmsSymmetrizedForm:
    """Γ^{−1/2}∘L∘Γ^{1/2} of the generator it is mixed into, matrix-free in the energy basis."""

    @cached_property
    def _kms_transition(self) -> FactorisedTransition | SparseTransition:
        return self._transition_map(self.beta / 4)

    @cached_property
    def _kms_effective(self) -> tuple[np.ndarray, float]:
        """G̃ = Q^{−1} G Q (Q = σ^{1/4}, diagonal), made Hermitian from its well-conditioned half, and its defect.

        G̃_ab = e^{βν_ab/4} G_ab. For a KMS generator G̃ is Hermitian; its entries with ν_ab ≤ 0 carry
        a factor ≤ 1 and keep their relative accuracy, so the other half is taken as their conjugate.
        The defect ‖G̃ − G̃^†‖_F/‖G̃‖_F says how far from KMS the coherent and decay parts are.
        """
        bohr = self.basis.bohr
        g = np.exp(self.beta * bohr / 4) * self._effective
        strict = np.where(bohr < 0, g, 0.0)
        herm = strict + strict.conj().T + np.where(bohr == 0, 0.5 * (g + g.conj().T), 0.0)
        defect = float(np.linalg.norm(g - g.conj().T) / max(np.linalg.norm(g), 1e-300))
        return herm, defect

    @property
    def symmetrized_real(self) -> bool:
        """Whether ``apply_symmetrized`` maps real matrices to real ones (real H, real or imaginary couplings, real kernel)."""
        t = self._kms_transition
        real = t.real if isinstance(t, FactorisedTransition) else not np.any(t.matrix.data.imag)
        return bool(real and not np.any(self._kms_effective[0].imag))

    def kms_symmetry_defect(self) -> float:
        """How far L is from KMS detailed balance, computed without the superoperator.

        The larger of ‖G̃ − G̃^†‖_F/‖G̃‖_F (decay and coherent part, G̃ = σ^{−1/4}(½K + iH_c)σ^{1/4})
        and max |c̃(ν, ν′) − conj(c̃(−ν, −ν′))| / max |c̃| with c̃ = e^{β(ν+ν′)/4} c(ν, ν′) on a 64 × 64
        grid of the Bohr frequencies (the transition kernel; docs/master_equations.md). Zero up to rounding
        for the exactly KMS families (Scandi–Alhambra ``form="kms"`` without Lamb shift, CKG, DLL,
        Davies without Lamb shift).

        References:
            Chen, Kastoryano & Gilyén, arXiv:2311.09207, Prop. II.2; docs/master_equations.md
        """
        freqs = np.unique(self.basis.bohr)
        grid = freqs[np.unique(np.linspace(0, freqs.size - 1, min(freqs.size, 64)).round().astype(int))]
        nu, nup = grid[:, None], grid[None, :]
        weight = np.exp(self.beta * (nu + nup) / 4)
        c = self.kernel.coefficients(nu, nup) * weight
        mirror = self.kernel.coefficients(-nu, -nup) / weight
        kernel = float(np.max(np.abs(c - np.conj(mirror))) / max(float(np.max(np.abs(c))), 1e-300))
        return max(kernel, self._kms_effective[1])

    def apply_symmetrized(self, x: np.ndarray, *, include_system_hamiltonian: bool = False) -> np.ndarray:
        """S[X] = Γ^{−1/2}∘L∘Γ^{1/2}[X] in the energy basis, Γ^{1/2}(X) = σ^{1/4} X σ^{1/4}.

        S[X] = α²(T̃[X] − G̃X − XG̃^†) with T̃ the transition map of the kernel e^{β(ν+ν′)/4} c(ν, ν′)
        and G̃ = σ^{−1/4}(½K + iH_c)σ^{1/4} (its Hermitian form, see ``kms_symmetry_defect``); no
        factor σ^{±1/4} is applied to X itself, so entries between states of very different weight
        keep their relative accuracy. Hermitian exactly when L is KMS-detailed-balanced; the system
        Hamiltonian adds the anti-Hermitian −i[H, ·] (diagonal in the energy basis).

        References:
            Carlen & Maas, J. Funct. Anal. 273, 1810 (2017); docs/conventions.md.
        """
        x = self._check_operator(x)
        g = self._kms_effective[0]
        out = self._kms_transition(x) - g @ x - x @ g
        if np.isrealobj(x) and self.symmetrized_real:
            out = out.real  # exact: every factor is real
        out *= self.rate
        if include_system_hamiltonian:
            out = out - 1j * self.basis.bohr * x
        require_finite("Lindbladian.apply_symmetrized", out)
        return out

    @property
    def symmetrized_sectors(self) -> bool:
        """Whether ``apply_symmetrized_sector`` is available.

        It needs a Z₂ ``symmetry``, a factorised kernel, and room for the block stacks it keeps
        (half the full jump stack) within a third of the memory limit; otherwise the full-space
        product, which streams its jumps, is used.
        """
        t = self._kms_transition
        return (
            self.symmetry is not None
            and isinstance(t, FactorisedTransition)
            and t.sector_stack_bytes() + t.working_bytes() <= memory_limit() // 3
        )

    @cached_property
    def _sector_effective(self) -> tuple[np.ndarray, np.ndarray]:
        """The diagonal blocks G̃[A, A] of the Hermitian G̃ (G̃ commutes with the symmetry)."""
        g = self._kms_effective[0]
        index = [np.flatnonzero(self.basis.sectors == a) for a in (0, 1)]
        return g[np.ix_(index[0], index[0])], g[np.ix_(index[1], index[1])]

    def apply_symmetrized_sector(
        self, blocks: tuple[np.ndarray, np.ndarray], *, odd: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """``apply_symmetrized`` on one sector of the Z₂ ``symmetry`` P, a quarter of the flops.

        With rows and columns split by ``basis.sectors``, an even operator (PXP = X) is given by its
        blocks (X₀₀, X₁₁) and an odd one (PXP = −X) by (X₀₁, X₁₀); S maps each sector to itself:
        S[X]_AB = α²(T̃[X]_AB − G̃_AA X_AB − X_AB G̃_BB).

        Raises:
            ValueError: when ``symmetrized_sectors`` is False.
        """
        if not self.symmetrized_sectors:
            raise ValueError("no Z2 symmetry with a factorised kernel: use apply_symmetrized")
        keys = [(0, 1), (1, 0)] if odd else [(0, 0), (1, 1)]
        g = self._sector_effective
        out = []
        for (a, b), x, t in zip(keys, blocks, self._kms_transition.group_apply(blocks, parity=int(odd))):
            y = t - g[a] @ x - x @ g[b]
            if np.isrealobj(x) and self.symmetrized_real:
                y = y.real  # exact: every factor is real
            out.append(self.rate * y)
        require_finite("Lindbladian.apply_symmetrized_sector", out[0])
        require_finite("Lindbladian.apply_symmetrized_sector", out[1])
        return out[0], out[1]
