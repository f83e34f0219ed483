"""Physics front-end and lowering to circuits, grouped by job.

``physics``   models, baths, transition kernels, master equations, the ``Lindbladian``, time-domain forms
``lowering``  light cones, frame evolutions, the step plan, step circuits
``target``    ISA circuits on a backend, OpenQASM 3
``analysis``  exact channels, the error budget, light-cone truncation, resource counts
``schemes``   ``compile_sampler``: dilation sampler, block-encodings, bath emulation
Data flows down that list the other way: schemes → analysis → target, lowering → physics.
"""

import sys

from . import analysis, lowering, physics, schemes, target
from .analysis import error_budget, resources
from .analysis.error_budget import ErrorBound
from .analysis.estimate import estimated_two_qubit_gates
from .analysis.step_resources import Resources
from .lowering.plan import Factor, StepPlan
from .physics import baths, energy_basis, kernels, lindbladian, master_equations, models, time_domain
from .physics.baths import Bath, GaussianBath, OhmicBath
from .physics.lindbladian import Lindbladian
from .physics.model_files import ModelFile, ModelFileError, load_model
from .physics.master_equations import ckg, davies, dll, kms_coherent_term, scandi_alhambra
from .schemes import DesignFrontier, SamplerDesign, bath_emulation, compile_sampler, design_frontier, design_sampler
from .schemes.dilation import CompiledSampler, DilationSampler
from .target import PRE_INIT, chain_layout, dump_qasm3, to_isa, to_qasm3

# The flat module paths of earlier releases (kmsgibbs.compiler.time_domain, .error_budget, .hardware, …)
# name the same module objects in their new groups, so `import kmsgibbs.compiler.hardware` keeps working.
for _name, _module in {
    "models": models,
    "baths": baths,
    "energy_basis": energy_basis,
    "kernels": kernels,
    "lindbladian": lindbladian,
    "master_equations": master_equations,
    "time_domain": time_domain,
    "error_budget": error_budget,
    "resources": resources,
    "bath_emulation": bath_emulation,
    "hardware": target,
}.items():
    sys.modules[f"{__name__}.{_name}"] = _module
del _name, _module

__all__ = [
    "models",
    "baths",
    "Bath",
    "OhmicBath",
    "GaussianBath",
    "Lindbladian",
    "ModelFile",
    "ModelFileError",
    "load_model",
    "scandi_alhambra",
    "davies",
    "ckg",
    "dll",
    "kms_coherent_term",
    "compile_sampler",
    "design_sampler",
    "design_frontier",
    "SamplerDesign",
    "DesignFrontier",
    "CompiledSampler",
    "DilationSampler",
    "StepPlan",
    "Factor",
    "ErrorBound",
    "estimated_two_qubit_gates",
    "Resources",
    "to_isa",
    "chain_layout",
    "PRE_INIT",
    "to_qasm3",
    "dump_qasm3",
    "physics",
    "lowering",
    "target",
    "analysis",
    "schemes",
]
