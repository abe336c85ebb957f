"""The retention notation of the nomenclature, typed and printed.

Notation understood by :func:`parse_retention` (case and spacing are free,
parts may be separated by spaces, commas, semicolons or ``+``):

* permanent: ``Туруктуу``, ``Токтом``, ``Пост.``, ``Постоянно``, ``Permanent``;
* until no longer needed: ``МАЧ``, ``ДМН``, ``До минования надобности``,
  ``Муктаждык жоголгонго чейин``, ``Until no longer needed``;
* years: a number with a unit, joined by nothing, a space or a hyphen:
  ``ж``, ``жыл`` (ky), ``л``, ``лет``, ``г``, ``год``, ``года`` (ru),
  ``year``, ``years`` (en), each with or without a final dot;
* ``ЭПК`` (also ``EPK``, ``EPK review``): the expert commission reviews the
  case when its period ends; accepted with years or until-needed;
* article references of the standard list: ``ст.334``, ``ст. 23, 28``,
  ``ст.67б``, ``ст.ст. 23, 28``, ``art. 334``. The article numbers are kept
  exactly as typed; they are printed, never computed with.

Exactly one period is required; the other parts are optional and may come in
any order.

Printed forms (:func:`format_retention`), chosen to match the paper forms:

====================  ===============================  ==================================  =========================
part                  ``ky``                           ``ru``                              ``en``
====================  ===============================  ==================================  =========================
permanent             ``Туруктуу``                     ``Постоянно``                       ``Permanent``
until no longer       ``МАЧ``                          ``До минования надобности (ДМН)``   ``Until no longer needed``
needed
years                 ``5 жыл``                        ``1 год``, ``2 года``, ``5 лет``    ``1 year``, ``5 years``
ЭПК mark              ``+ ЭПК``                        ``ЭПК``                             ``EPK review``
articles              ``ст. 23, 28``                   ``ст. 23, 28``                      ``art. 23, 28``
====================  ===============================  ==================================  =========================

Parts are joined as ``<period>[ <ЭПК>][, <articles>]`` in Kyrgyz and Russian
(``5 жыл + ЭПК, ст. 343``; ``5 лет ЭПК, ст. 343``) and with commas throughout
in English (``5 years, EPK review, art. 343``). Every printed form parses back
to the same rule.
"""
from __future__ import annotations

import re
from typing import Any

from records.i18n import _l
from records.retention.rule import (
    LANGUAGES,
    MAX_YEARS,
    MIN_YEARS,
    RetentionKind,
    RetentionParseError,
    RetentionRule,
    is_year_count,
)


# --- parsing -----------------------------------------------------------------

# A word that may end in an abbreviation dot: "пост." must not swallow the
# next word, and "пост" must not match inside "постановление".
def _word(alternatives: str) -> str:
    return rf"(?:{alternatives})(?:\.|(?!\w))"


_YEAR_UNIT = r"жылдар|жыл|ж|лет|года|год|г|л|years|year"
_YEARS_RE = re.compile(rf"(?P<n>\d+)\s*-?\s*{_word(_YEAR_UNIT)}", re.IGNORECASE)
_PERMANENT_RE = re.compile(
    _word(r"туруктуу|токтом|постоянно|пост|permanent(?:ly)?"), re.IGNORECASE
)
_UNTIL_NEEDED_RE = re.compile(
    r"до\s+минования\s+надобности(?:\s*\(\s*дмн\s*\))?(?!\w)"
    r"|муктаждык\s+жоголгонго\s+чейин(?:\s*\(\s*мач\s*\))?(?!\w)"
    r"|until\s+no\s+longer\s+needed(?!\w)"
    r"|(?:мач|дмн)(?:\.|(?!\w))",
    re.IGNORECASE,
)
_EPK_RE = re.compile(r"(?:эпк|epk)(?:\s+review)?(?:\.|(?!\w))", re.IGNORECASE)

# One article number: digits with at most one letter, as in "67б".
_ARTICLE = r"\d+[^\W\d_]?(?!\w)"
# After a comma, a number followed by a year unit ("ст.23, 5 лет") is the
# period, not another article. A single letter glued to the number with no
# dot ("ст.23,1г") is an article letter, as in "67б", since the standard list
# has articles lettered а, б, в, г.
_NOT_A_PERIOD = (
    rf"(?!\d+(?:\s+|\s*-\s*){_word(_YEAR_UNIT)})"
    rf"(?!\d+(?:жылдар|жыл|лет|года|год|years|year)(?:\.|(?!\w)))"
    r"(?!\d+[жлг]\.)"
)
_ARTICLES_RE = re.compile(
    rf"(?:ст|art|статья|ст-я)\.?\s*(?:ст\.?\s*)?"
    rf"(?P<list>{_ARTICLE}(?:\s*,\s*{_NOT_A_PERIOD}{_ARTICLE})*)",
    re.IGNORECASE,
)
_ARTICLE_NUMBER_RE = re.compile(r"\d+[^\W\d_]?")
_SEPARATORS = frozenset(" ,;+\n\r")
# Dashes and spaces people paste from word processors, mapped one character
# to one character so match positions still point into the typed text.
_NORMALIZE = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
        "\u2014": "-", "\u2212": "-", "\u00a0": " ", "\u2007": " ",
        "\u202f": " ", "\t": " ",
    }
)


def _accepted() -> Any:
    return _l(
        "Accepted: Туруктуу, Токтом or Пост. (permanent); МАЧ or ДМН "
        "(until no longer needed); years such as 5-ж. or 5 лет; "
        "ЭПК after the period; articles such as ст.334."
    )


def _error_unknown(part: str, text: str) -> RetentionParseError:
    return RetentionParseError(
        _l("“%(part)s” is not a retention period. %(accepted)s",
           part=part, accepted=_accepted()),
        text,
    )


def _error_empty(text: str) -> RetentionParseError:
    return RetentionParseError(
        _l("Please enter a retention period. %(accepted)s", accepted=_accepted()),
        text,
    )


def _error_no_period(text: str) -> RetentionParseError:
    return RetentionParseError(
        _l("Please add the period itself: Туруктуу, МАЧ/ДМН or a number of "
           "years such as 5-ж.; ЭПК and articles are optional."),
        text,
    )


def _error_two_periods(text: str) -> RetentionParseError:
    return RetentionParseError(
        _l("Please give one period only: Туруктуу, МАЧ/ДМН or a number of "
           "years such as 5-ж."),
        text,
    )


def _error_years_range(text: str) -> RetentionParseError:
    return RetentionParseError(
        _l("Please give a period from %(low)s to %(high)s years.",
           low=MIN_YEARS, high=MAX_YEARS),
        text,
    )


def _error_epk_permanent(text: str) -> RetentionParseError:
    return RetentionParseError(
        _l("ЭПК is accepted after a number of years or МАЧ/ДМН; permanent "
           "cases are kept without it."),
        text,
    )


def _skip_separators(work: str, pos: int) -> int:
    while pos < len(work) and work[pos] in _SEPARATORS:
        pos += 1
    return pos


def _unknown_part(text: str, pos: int) -> str:
    words = text[pos:].split(maxsplit=2)
    # A bare number is only half of the trouble: "5 дней" says more than "5".
    shown = words[:2] if len(words) > 1 and words[0].isdigit() else words[:1]
    return " ".join(shown).rstrip(",;+")


def parse_retention(text: str) -> RetentionRule:
    """Read the retention notation a records officer typed.

    Raises :class:`RetentionParseError` with a translatable message saying
    what is accepted when any part of ``text`` is not understood.
    """
    work = text.translate(_NORMALIZE)
    periods: list[tuple[RetentionKind, int | None]] = []
    epk = False
    articles: list[str] = []
    article_texts: list[str] = []

    pos = _skip_separators(work, 0)
    while pos < len(work):
        if m := _ARTICLES_RE.match(work, pos):
            article_texts.append(text[m.start():m.end()])
            # Numbers come from the typed text, so "67б" stays as written.
            listed = text[m.start("list"):m.end("list")]
            articles.extend(_ARTICLE_NUMBER_RE.findall(listed))
        elif m := _YEARS_RE.match(work, pos):
            years = int(m.group("n"))
            if not is_year_count(years):
                raise _error_years_range(text)
            periods.append((RetentionKind.YEARS, years))
        elif m := _UNTIL_NEEDED_RE.match(work, pos):
            periods.append((RetentionKind.UNTIL_NEEDED, None))
        elif m := _PERMANENT_RE.match(work, pos):
            periods.append((RetentionKind.PERMANENT, None))
        elif m := _EPK_RE.match(work, pos):
            epk = True
        else:
            raise _error_unknown(_unknown_part(text, pos), text)
        pos = _skip_separators(work, m.end())

    if not periods:
        if not epk and not articles:
            raise _error_empty(text)
        raise _error_no_period(text)
    if len(periods) > 1:
        raise _error_two_periods(text)
    kind, years = periods[0]
    if epk and kind is RetentionKind.PERMANENT:
        raise _error_epk_permanent(text)
    return RetentionRule(
        kind=kind,
        years=years,
        epk=epk,
        articles=tuple(articles),
        source=text,
        article_text=" ".join(article_texts),
    )


# --- printing ----------------------------------------------------------------

def russian_years(n: int) -> str:
    """``n`` with the Russian word for years in the right form: 1 год, 2 года, 5 лет, 21 год."""
    if n % 10 == 1 and n % 100 != 11:
        word = "год"
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = "года"
    else:
        word = "лет"
    return f"{n} {word}"


def _period_text(rule: RetentionRule, lang: str) -> str:
    if rule.kind is RetentionKind.PERMANENT:
        return {"ky": "Туруктуу", "ru": "Постоянно", "en": "Permanent"}[lang]
    if rule.kind is RetentionKind.UNTIL_NEEDED:
        return {
            "ky": "МАЧ",
            "ru": "До минования надобности (ДМН)",
            "en": "Until no longer needed",
        }[lang]
    n = rule.years
    assert n is not None  # guaranteed by RetentionRule.__post_init__
    if lang == "ky":
        # Kyrgyz keeps the noun singular after a numeral.
        return f"{n} жыл"
    if lang == "ru":
        return russian_years(n)
    return f"{n} year" if n == 1 else f"{n} years"


def format_retention(rule: RetentionRule, lang: str) -> str:
    """Print ``rule`` in ``lang`` (``"ky"``, ``"ru"`` or ``"en"``), as on the paper forms.

    The wording is fixed notation (see the module docstring), not a UI
    message: the nomenclature prints it in the language of the form, whatever
    language the reader's interface is in.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    period = _period_text(rule, lang)
    epk = {"ky": "+ ЭПК", "ru": "ЭПК", "en": "EPK review"}[lang] if rule.epk else ""
    articles = ""
    if rule.articles:
        prefix = "art." if lang == "en" else "ст."
        articles = f"{prefix} {', '.join(rule.articles)}"
    if lang == "en":
        return ", ".join(part for part in (period, epk, articles) if part)
    head = f"{period} {epk}" if epk else period
    return f"{head}, {articles}" if articles else head
