"""What the schema's types say, read from the types themselves: the keys a mapping allows at a
path, every key name the schema knows, and the members and tags of its discriminated unions.

Error messages and suggestions are built from these, so adding a field, an event action or a
distribution to ``schema`` updates them with no list to keep in step.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from potashsim.scenario import schema as sc

__all__ = [
    "DISTRIBUTIONS",
    "EVENTS",
    "TAGGED_UNIONS",
    "TaggedUnion",
    "allowed_keys",
    "tagged_union",
    "unwrap",
    "vocabulary",
]


def unwrap(tp: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type inside."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


@dataclass(frozen=True)
class TaggedUnion:
    """A discriminated union of the schema: the field that picks the member, and the members."""

    noun: str
    """What one member is, for messages: ``event``."""
    field: str
    """The discriminator: ``action``."""
    members: Mapping[str, type[BaseModel]]
    """Each tag (``close``) and the model it selects, in the order the union lists them."""

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag, in the order the union lists its members."""
        return tuple(self.members)


def tagged_union(annotation: Any, noun: str) -> TaggedUnion:
    """Read ``Annotated[A | B | ..., Field(discriminator=...)]``: its field, tags and models.

    Each member's tags are the values of its discriminator field's ``Literal``.
    """
    union, *extras = typing.get_args(annotation)
    field = next(
        e.discriminator for e in extras if isinstance(e, FieldInfo) and e.discriminator is not None
    )
    if not isinstance(field, str):
        raise TypeError(f"{annotation!r}: the discriminator must be a field name")
    members: dict[str, type[BaseModel]] = {}
    for model in typing.get_args(union):
        for tag in typing.get_args(model.model_fields[field].annotation):
            members[tag] = model
    return TaggedUnion(noun, field, members)


EVENTS = tagged_union(sc.Event, "event")
DISTRIBUTIONS = tagged_union(sc.Distribution, "distribution")
TAGGED_UNIONS: dict[str, TaggedUnion] = {u.field: u for u in (EVENTS, DISTRIBUTIONS)}
"""The schema's discriminated unions by discriminator field (each field picks one union)."""


def _member(tp: Any, tag: str | int) -> Any:
    """The member of a discriminated union that ``tag`` selects, or None."""
    for union in TAGGED_UNIONS.values():
        model = union.members.get(str(tag))
        if model is not None and model in map(unwrap, typing.get_args(tp)):
            return model
    return None


def allowed_keys(tp: Any, loc: tuple[int | str, ...]) -> list[str]:
    """The keys the schema allows at the mapping that holds ``loc`` (for suggestions).

    ``tp`` is the type validated at the top (a model or a discriminated union); ``loc`` is a
    pydantic error location, where a union's tag (``close``) picks the member it names.
    """
    for item in loc[:-1]:
        tp = unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fld = tp.model_fields.get(str(item))
            if fld is None:
                return []
            tp = fld.annotation
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin in (tuple, list):
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = _member(tp, item)
            if tp is None:
                return []
        else:
            return []
    tp = unwrap(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


def vocabulary() -> list[str]:
    """Every key name any model of the schema has, sorted (suggestions where none fits)."""
    names: set[str] = set()
    for obj in vars(sc).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(obj.model_fields)
    return sorted(names)
