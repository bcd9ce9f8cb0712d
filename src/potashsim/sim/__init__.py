"""The simulation: a validated scenario in, one replication's trace out.

``network`` (routes and one replication's draw), ``policy`` (the day-by-day state the events
make), ``prices``, ``streams`` (named random streams), ``dispatch`` (the period plan),
``processes`` (the SimPy actors) and ``engine`` (assembles and runs them). ``records`` holds what
crosses from here to the accounts. Only this layer imports SimPy.
"""
