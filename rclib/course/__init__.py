"""The notebooks as a course: a notebook's set-up and context, teaching helpers, the exercises' checks, student
copies and the nbgrader course (:mod:`.grading`). Needs the ``notebooks`` extra (``pip install 'rclib[notebooks]'``)."""

try:
    from .notebook import Context, setup
except ModuleNotFoundError as err:  # a core-only install: say which extra brings the missing package
    raise ModuleNotFoundError(
        f"rclib.course needs the 'notebooks' extra ({err}): pip install 'rclib[notebooks]'", name=err.name
    ) from err

__all__ = ["Context", "setup"]
