"""Sweeps: many runs of a scenario (and its ``--vs`` base) over a design of parameter values.

``spec`` reads what the user asks for (``--param PATH=DIST`` or a ``sweeps/*.yaml`` file) and
checks it against the scenarios; ``design`` turns it into sample rows (grid, Latin hypercube,
Sobol/Saltelli, Morris: SALib's samplers); ``runner`` runs one sample; ``sensitivity`` computes
SALib's Sobol and Morris indices from the outputs. Writing the rows to disk is the results
layer's job (:mod:`potashsim.results.sweep_store`).
"""
