"""An article built to break an HTML view, and a model answer that quotes its worst parts.

Names, quotes and text carry ``<script>``, an ``<img onerror>``, a ``javascript:`` link,
``</mark>`` and both kinds of quote marks; two evidence quotes overlap, and a name sits
inside a quote, so the view must cut highlights into nested pieces.
"""

from __future__ import annotations

from typing import Any

INJECTION_ARTICLE = (
    "City Hall row over a tunnel\n\n"
    'Mayor "Jo" O\'Hara <script>alert("pwned")</script> said on Monday the tunnel is '
    "<img src=x onerror=alert(1)> far too costly. "
    'Read <a href="javascript:alert(2)">the plan</a> before voting. '
    "The </mark> tag closes nothing here, O'Hara added. "
    'The council\'s <b onmouseover="alert(3)">Planning Board</b> said it supports the tunnel '
    "and will vote next week.\n"
)

NAME = 'Mayor "Jo" O\'Hara'
BOARD = "Planning Board"


def injection_answer() -> dict[str, Any]:
    """A valid answer for :data:`INJECTION_ARTICLE` (every quote is in the article)."""
    return {
        "tldr": 'Mayor "Jo" O\'Hara <script>alert("tldr")</script> says the tunnel costs too much.',
        "summary": "The mayor <img src=x onerror=alert(4)> objects to the tunnel's cost, while "
        "the Planning Board supports it ahead of a vote next week.",
        "key_points": [
            "The mayor calls the tunnel far too costly.",
            "The Planning Board <i>supports</i> the tunnel.",
            "A vote is due next week.",
        ],
        "actors": [
            {"name": NAME, "type": "person", "role": 'mayor </mark><script>alert(5)</script>',
             "aliases": ["O'Hara"]},
            {"name": BOARD, "type": "organization", "role": "council board", "aliases": []},
        ],
        "stances": [
            {"actor": NAME, "target": "the <u>tunnel</u>", "position": "oppose",
             "evidence": ['Mayor "Jo" O\'Hara <script>alert("pwned")</script> said on Monday',
                          "said on Monday the tunnel is <img src=x onerror=alert(1)> far too "
                          "costly"]},
            {"actor": "O'Hara", "target": "the </mark> tag", "position": "claim",
             "evidence": ["The </mark> tag closes nothing here, O'Hara added."]},
            {"actor": BOARD, "target": "the tunnel", "position": "support",
             "evidence": ['<b onmouseover="alert(3)">Planning Board</b> said it supports the '
                          "tunnel"]},
        ],
        "open_questions": [
            {"question": "Will the <script>council</script> approve the tunnel?",
             "why_open": "The vote is next week.", "related_actors": [BOARD, NAME]},
        ],
    }  # fmt: skip
