"""How long a melody may be, defined once for the melody rules (``shared.music.melody_rules``) and
the wire models (``shared.schemas``), which sit on either side of the music package."""

from __future__ import annotations

from typing import Final

# DeepComposer's limit for a melody one plays or uploads.
MAX_BARS: Final = 8
# A melody made from a composition's track (e.g. a Transformer's continuation) may be this long; the
# accompaniment models compose it window by window.
MAX_BARS_FROM_COMPOSITION: Final = 48
