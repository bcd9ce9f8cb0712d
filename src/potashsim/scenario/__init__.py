"""The scenario language: what a user writes, read and checked.

``schema`` describes a valid scenario (pydantic, strict and frozen), ``yamlio`` reads YAML with
line numbers, ``loader`` resolves ``extends`` and ``set`` overrides and turns every problem into a
``file:line: key: message``. Nothing here knows about SimPy, money or results.
"""
