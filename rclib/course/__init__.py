"""The notebooks as a course: a notebook's set-up and context, teaching helpers, and student copies."""

from .notebook import Context, setup

__all__ = ["Context", "setup"]
