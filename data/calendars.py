"""Calendar words in exports: month names in many languages and ROC (民國) years.

Month names come from the Unicode CLDR through Babel (wide and abbreviated, format and stand-alone
forms), never from a hand-typed list per language. They are compared ignoring case, accents and a
trailing dot (`Gennaio`, `gen`, `janv.`, `März`, `Marz`, `Maerz` all work).

A word that is a different month in two languages (`lip` is June in Croatian and July in Polish;
`listopad` is October in Croatian and November in Czech and Polish) is never guessed on its own:
`month_number` leaves it out, `month_ambiguity` says why, and `resolve_in_context` settles it only
when the other month words beside it (a wide file's other headers) belong to one of its languages.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict

# Languages whose month names are recognised: English, Chinese and the main European languages.
MONTH_LOCALES = (
    "en",
    "en_GB",
    "zh",
    "zh_Hant",
    "it",
    "fr",
    "de",
    "de_AT",
    "es",
    "pt",
    "pt_PT",
    "nl",
    "pl",
    "sv",
    "da",
    "nb",
    "fi",
    "ca",
    "ro",
    "cs",
    "sk",
    "sl",
    "hr",
    "hu",
)
ROC_OFFSET = 1911  # 民國 1 is 1912
# Without 民國, a year written with 年 and fewer than four digits is an ROC year; below this one it is
# more likely a shortened Gregorian year (`24年` for 2024) than 1935, and is refused rather than guessed.
ROC_PLAIN_MIN = 60
ROC_PREFIX = r"(?:中華民國|中华民国|民國|民国)"

# German spells umlauts out when a keyboard lacks them (Maerz); a rule of the script, not a month list.
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def month_key(word: str) -> str:
    """The comparison key of a month word: width, case, accents, dots and spacing ignored."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[.\s]+", " ", text).strip()


@functools.cache
def _month_table() -> tuple[dict[str, dict[int, frozenset[str]]], frozenset[str]]:
    """(month key -> {month number: locales that spell it so}, the keys that are a full name or English);
    built once, on first use."""
    from babel.dates import get_month_names

    table: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    plain: set[str] = set()
    for locale in MONTH_LOCALES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, locale).items():
                    for spelling in {name, name.casefold().translate(_UMLAUTS)}:
                        table[month_key(spelling)][number].add(locale)
                        if width == "wide" or locale.startswith("en"):
                            plain.add(month_key(spelling))
    meanings = {key: {n: frozenset(locales) for n, locales in found.items()} for key, found in table.items()}
    return meanings, frozenset(plain)


def month_meanings(word: str) -> dict[int, frozenset[str]]:
    """Every month a word names, with the locales that spell it so ({} when it names none)."""
    return _month_table()[0].get(month_key(word), {})


def is_foreign_abbreviation(word: str) -> bool:
    """True for a month word that is only an abbreviation in a language other than English (`Out`, `Set`,
    `Pro`): on its own, without other month headers beside it, it is more likely an English word."""
    key = month_key(word)
    return key in _month_table()[0] and key not in _month_table()[1]


def month_number(word: str) -> int | None:
    """The month (1-12) a word names in every language that knows it; None for other words and for
    words that are different months in different languages."""
    meanings = month_meanings(word)
    return next(iter(meanings)) if len(meanings) == 1 else None


def month_ambiguity(word: str) -> str | None:
    """Why a word cannot be read as one month (`'lip' is June (Croatian) or July (Polish)`), or None."""
    meanings = month_meanings(word)
    if len(meanings) < 2:
        return None
    from babel import Locale
    from babel.dates import get_month_names

    english = get_month_names("wide", "format", "en")
    readings = " or ".join(
        f"{english[n]} ({', '.join(sorted({Locale.parse(loc).get_language_name('en') for loc in locales}))})"
        for n, locales in sorted(meanings.items())
    )
    return f"{word!r} is {readings}"


def resolve_in_context(words: list[str]) -> dict[int, int]:
    """{position: month} for the ambiguous month words of a list (a file's headers) that the other,
    unambiguous month words settle: the languages that spell most of those are taken as the file's, and
    an ambiguous word is read in them only when they give it exactly one meaning."""
    votes: dict[str, int] = defaultdict(int)
    for word in words:
        if month_number(word) is not None and not re.search(r"\d", word):
            for locales in month_meanings(word).values():
                for locale in locales:
                    votes[locale] += 1
    if not votes:
        return {}
    best = max(votes.values())
    languages = {loc for loc, n in votes.items() if n == best}
    settled = {}
    for position, word in enumerate(words):
        meanings = month_meanings(word)
        if len(meanings) > 1:
            fitting = [n for n, locales in meanings.items() if locales & languages]
            if len(fitting) == 1:
                settled[position] = fitting[0]
    return settled


class YearError(ValueError):
    """A year that cannot be read without guessing (`24年`: ROC 24 or 2024?)."""


def calendar_year(digits: str, roc_marked: bool) -> int:
    """The Gregorian year of a year written with 年: `民國87` and `87` are 1998, `2024` is 2024.

    Raises ValueError for a short unmarked year that is more likely a shortened Gregorian one.
    """
    year = int(digits)
    if roc_marked:
        return year + ROC_OFFSET
    if len(digits) >= 4:
        return year
    if year < ROC_PLAIN_MIN:
        raise YearError(
            f"'{digits}年' is ROC year {year} ({year + ROC_OFFSET}) or a shortened year: "
            f"write 民國{digits}年 or the full year"
        )
    return year + ROC_OFFSET
