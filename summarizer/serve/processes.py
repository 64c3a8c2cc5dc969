"""Whether a process of this machine is still running (job owners, metrics of workers)."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """``pid`` runs (or exists and belongs to someone else); ``False`` once it is gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
