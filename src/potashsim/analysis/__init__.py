"""What a trace is worth and how sure we are: accounts, bottlenecks, paired replications.

``economics`` settles a trace into money, ``decomposition`` splits a change in netback by year
and market, ``bottlenecks`` measures utilisation, ``experiment`` runs and compares scenarios
(through ``executors``: processes or Dask), ``backtest`` sets history beside observed figures.
"""
