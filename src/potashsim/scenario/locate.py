"""Where scenario and network files are: a path as typed, a shipped scenario's name, a folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "PACKAGE_NETWORK",
    "discover",
    "find_scenario",
    "scenario_names",
    "shipped_scenario_dirs",
]

# this module lives in potashsim/scenario/; the data and a wheel's scenarios sit beside it
_PACKAGE = Path(__file__).resolve().parents[1]
PACKAGE_NETWORK = _PACKAGE / "data" / "network.yaml"


def shipped_scenario_dirs() -> list[Path]:
    """Where shipped scenarios live: inside the package (wheel) or the source checkout."""
    return [d for d in (_PACKAGE / "scenarios", _PACKAGE.parents[1] / "scenarios") if d.is_dir()]


def scenario_names(folders: Iterable[Path]) -> list[str]:
    """The names (file stems) of the ``*.yaml`` scenarios in ``folders``, sorted, for hints."""
    return sorted({p.stem for d in folders for p in d.glob("*.yaml")})


def find_scenario(ref: str | Path, *, relative_to: Path | None = None) -> Path | None:
    """Resolve a scenario reference: a path (relative to ``relative_to``) or a shipped name."""
    ref_s = str(ref)
    base = relative_to if relative_to is not None else Path.cwd()
    # Relative to the working folder, keep the path as typed so that problems name the file the
    # way the user wrote it.
    candidate = Path(ref_s) if relative_to is None or Path(ref_s).is_absolute() else base / ref_s
    if _exists(candidate):
        return candidate
    if "/" not in ref_s and not ref_s.endswith((".yaml", ".yml")):
        for folder in ([base] if relative_to else []) + shipped_scenario_dirs():
            named = folder / f"{ref_s}.yaml"
            if _exists(named):
                return named
    return None


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; a path the system cannot even look up (a name over 255 bytes, a
    NUL byte) does not."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files named by ``paths``: files as given, folders searched for ``*.yaml``."""
    found: list[Path] = []
    for p in map(Path, paths):
        if _exists(p) and p.is_dir():
            found.extend(sorted(list(p.glob("*.yaml")) + list(p.glob("*.yml"))))
        else:
            found.append(p)
    return found
