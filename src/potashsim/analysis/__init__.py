"""What a trace is worth and how sure we are: accounts, bottlenecks, paired replications.

``economics`` settles a trace into money and decomposes changes, ``bottlenecks`` measures
utilisation, ``experiment`` runs and compares scenarios (through ``executors``: processes or
Dask), ``calibration`` sets the baseline beside cited figures.
"""
