"""The physics: models, baths, transition kernels, the master equations and their time-domain forms.

Everything here is a statement about generators (dense in the energy basis for small systems,
time-domain grids for the circuit back-end); nothing here builds a circuit.
"""
