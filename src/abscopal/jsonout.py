"""JSON text of the results that the command line and the trial outputs write."""

from __future__ import annotations

import json
import math


def json_text(data) -> str:
    """JSON of a result, with every non-finite number written as null: a subject whose solve failed carries NaN in
    its series, and its status (solver_failed) says why; JSON itself has no NaN."""
    return json.dumps(_finite(data), indent=1, allow_nan=False)


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
