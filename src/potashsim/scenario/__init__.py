"""The scenario language: what a user writes, read and checked.

``schema`` describes a valid scenario (pydantic, strict and frozen) and ``graph`` answers its
network questions (rail paths, what a target names). ``yamlio`` reads YAML with line numbers;
``loader`` puts together ``locate`` (finding files), ``extends`` (the chain of files),
``overrides`` (``set`` and ``--set`` by dotted ``paths``), ``params`` (parameters with
provenance) and ``messages`` (every problem as ``file:line: key: message``, built with
``introspect`` from the schema's own types). Nothing here knows about SimPy, money or results.
"""
