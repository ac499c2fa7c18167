"""Policy documents in files: the resolver a document's ``extends`` needs (issue 19).

The core reads no files: :meth:`servicekit.policy.Policy.from_toml` (and ``from_json``,
``from_yaml``) take text, and a document that ``extends`` another asks the host's resolver for
it by a relative, ``/``-separated name. :func:`folder_resolver` reads those names from one folder
(the core refuses a name that leaves it before asking); :func:`read_policy` loads a file and the
bases beside it.
"""

from __future__ import annotations

import os
from pathlib import Path

from servicekit._policy_overlay import Resolver
from servicekit.errors import PolicyError, Problem
from servicekit.policy import Policy

__all__ = ["folder_resolver", "read_policy"]

_LOADERS = {".toml": Policy.from_toml, ".json": Policy.from_json, ".yaml": Policy.from_yaml,
            ".yml": Policy.from_yaml}


def folder_resolver(folder: str | os.PathLike[str]) -> Resolver:
    """A resolver reading base documents from ``folder`` (names relative to it)."""
    root = Path(folder).resolve()

    def read(name: str) -> bytes:
        path = (root / name).resolve()
        if not path.is_relative_to(root):  # a link out of the folder
            raise PermissionError("outside the policy folder")
        return path.read_bytes()

    return read


def read_policy(path: str | os.PathLike[str]) -> Policy:
    """The policy document at ``path`` (format from its suffix), its bases read beside it."""
    file = Path(path)
    load = _LOADERS.get(file.suffix.lower())
    if load is None:
        message = "a policy file's name ends in .toml, .json, .yaml or .yml"
        raise PolicyError(message, problems=[Problem((), "policy_format", message)])
    try:
        raw = file.read_bytes()
    except OSError as exc:
        message = f"the policy file cannot be read ({type(exc).__name__})"
        raise PolicyError(message, problems=[Problem((), "policy_unreadable", message)]) from None
    return load(raw, resolver=folder_resolver(file.resolve().parent))
