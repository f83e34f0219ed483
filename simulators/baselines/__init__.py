"""References beyond the compiled circuits: Gibbs observables at any n, and the microscopic system + bath.

``references``    free-fermion (TFIM, any n) and exact-diagonalisation Gibbs observables
``purification``  the tensor-network (quimb, optional extra) Gibbs reference
``microscopic``   the system coupled to a discretised bath, against the Lindbladian
"""

from . import microscopic, purification, references

__all__ = ["references", "purification", "microscopic"]
