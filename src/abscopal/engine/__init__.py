"""The engine: the only place that knows the ODE solver."""

from .dopri import STATUS_FAILED, STATUS_OK, integrate_batch

__all__ = ["integrate_batch", "STATUS_OK", "STATUS_FAILED"]
