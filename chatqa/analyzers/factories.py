"""Every analyzer factory, in one place: the only code that reads resources for analyzers.

``make_<name>(lang, **params)`` loads the language's resources and builds the analyzer;
``register_analyzers()`` registers them all, once, so analyzer modules have no registry side
effects (as spaCy 3.8 does with ``register_factories``).
"""

from __future__ import annotations

from typing import Any

from chatqa.analyzers.base import analyzers, check_param_names
from chatqa.resources import load_resource

_registered = False


# --- timing -----------------------------------------------------------------------------------
def make_timing(lang: str, **params: Any):
    """Build the timing analyzer with the cue phrases of ``lang`` and the grid's thresholds."""
    from chatqa.analyzers.timing import TimingAnalyzer, TimingCues

    check_param_names("timing", TimingAnalyzer, params, internal=("cues",))
    cues = TimingCues.from_resource(load_resource(lang, "timing"))
    return TimingAnalyzer(cues=cues, **params)


# --- spelling_grammar -------------------------------------------------------------------------


# --- registration -----------------------------------------------------------------------------
def register_analyzers() -> None:
    """Register every packaged analyzer factory (idempotent)."""
    global _registered
    if _registered:
        return
    analyzers.register("timing", func=make_timing)
    _registered = True
