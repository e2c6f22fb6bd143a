"""Traditional Chinese read as Simplified, through OpenCC (one converter, built on first use).

Headers and branch names are compared in Simplified characters, so 統計期 meets 统计期 and 臺北 meets 台北
(OpenCC's `t2s` also unifies variant forms such as 臺/台). Text without Chinese is returned as it is.
"""

from __future__ import annotations

import functools


@functools.cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """`text` with Traditional characters written in Simplified ones; ASCII text is returned untouched."""
    if text.isascii():
        return text
    return _converter().convert(text)
