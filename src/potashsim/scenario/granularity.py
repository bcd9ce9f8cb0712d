"""Which movement layer a scenario runs at (``model.granularity``), set from outside the file."""

from __future__ import annotations

from typing import get_args

from potashsim.scenario.schema import ModelSpec, Scenario

__all__ = ["GRANULARITIES", "with_granularity"]

#: The movement layers, the model of record first.
GRANULARITIES: tuple[str, ...] = get_args(ModelSpec.model_fields["granularity"].annotation)


def with_granularity(scenario: Scenario, granularity: str) -> Scenario:
    """``scenario`` moved at ``granularity`` (itself when it already is): ``train``, one process
    per train and per ship, or ``fast``, daily batches (:mod:`potashsim.sim.flows`)."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity {granularity!r}: use one of {', '.join(GRANULARITIES)}")
    net = scenario.network
    if net.model.granularity == granularity:
        return scenario
    model = net.model.model_copy(update={"granularity": granularity})
    return scenario.model_copy(update={"network": net.model_copy(update={"model": model})})
