"""Sentences in a notebook that state a result, chosen by the computed verdict (:mod:`rclib.paper.verdicts`)."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown, display

from ..paper.verdicts import choose, verdict_of


def say(claims: pd.DataFrame, part: str, **texts: str) -> str:
    """Show (as Markdown) the text that fits the verdict of ``part`` in ``claims``: ``reproduced=``,
    ``not_reproduced=``, ``inconclusive=``; returns it."""
    verdict = verdict_of(claims, part)
    text = f"**{part}: {verdict}.** " + choose(verdict, **texts)
    display(Markdown(text))
    return text
