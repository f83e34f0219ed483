"""Run a ``CompiledSampler`` on Qiskit Aer: density matrix, trajectories (statevector shots), MPS, noisy, instances.

Every run is ONE circuit and ONE job: the state preparation, then the steps, with a labelled save
instruction after the last step of every requested time. The ancilla is traced out by saving the
system qubits only. (One exception: a fused density-matrix run whose unitaries cannot fit in memory
at once is split into consecutive jobs, each starting from the previous job's full saved state.)

Speed. Aer's cost for these circuits is dominated by converting ~10⁵ instructions per step into its
C++ representation, not by the arithmetic. For small systems the run therefore uses
``step_circuit(fused=True)``: each factor (a dissipator or coherent-term block on system + ancilla)
as one ``UnitaryGate`` whose matrix Aer's unitary simulator computes *from the compiled gates
themselves*. The channel is the same to floating-point precision (tested) and a run costs
steps × (factors + resets) instructions. ``fuse=False`` runs the gate-level circuit verbatim.

``runs``            the result (``AerRun``), sampler, device, time and observable checks
``estimates``       what a run will hold (``RunEstimate``, ``estimate_run``), checked before it is built
``density_matrix``  ``run_density_matrix``
``trajectories``    ``run_trajectories``, ``run_mps`` (shots through the resets)
``noisy``           ``run_noisy`` (ISA circuits under a backend's noise)
``instances``       ``run_instances`` (random instances of a randomized sampler)
``bindings``        ``run_bindings`` (instances × shots of one transpiled parametric circuit, observables per shot)

This package is also importable as ``kmsgibbs.simulators.aer``, its name in earlier releases.
"""

from .bindings import FUSION_FROM_QUBITS, STATEVECTOR_MAX_QUBITS, InstanceObservables, run_bindings
from .density_matrix import run_density_matrix
from .estimates import MAX_RUN_INSTRUCTIONS, RunEstimate, estimate_run
from .instances import run_instances
from .noisy import run_noisy
from .runs import AerRun, check_sampler, is_randomized, select_device
from .trajectories import run_mps, run_trajectories

__all__ = [
    "AerRun",
    "RunEstimate",
    "estimate_run",
    "MAX_RUN_INSTRUCTIONS",
    "select_device",
    "run_density_matrix",
    "run_trajectories",
    "run_mps",
    "run_noisy",
    "run_instances",
    "is_randomized",
    "check_sampler",
    "run_bindings",
    "InstanceObservables",
    "STATEVECTOR_MAX_QUBITS",
    "FUSION_FROM_QUBITS",
]
