"""A synthetic, reproducible corpus of department paperwork for the benchmarks.

``generate_documents(n, seed)`` yields catalogue records shaped like what the department files:
meeting protocols, orders, practice contracts with mining companies, SAC papers and reports, in
Kyrgyz, Russian and some English, with inflected word forms (so stemming has work to do), spread
over the shipped nomenclature's items and several years. The same ``n`` and ``seed`` always give
the same documents.
"""
from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

# Items of the shipped nomenclature (records/data/nomenclature-12-4.csv) each type is filed under.
INDEX_FOR_TYPE = {
    "protocol": ["12-4-7", "12-4-8"],
    "order": ["12-4-3"],
    "contract": ["12-4-15"],
    "sac": ["12-4-19"],
    "report": ["12-4-13", "12-4-14"],
    "other": ["12-4-6", "12-4-18", "12-4-21"],
}
TYPES = list(INDEX_FOR_TYPE)
TYPE_WEIGHTS = [30, 20, 20, 10, 10, 10]
YEARS = list(range(2019, 2026))
LANGUAGES = ["ky", "ru", "en"]
LANGUAGE_WEIGHTS = [55, 40, 5]

COMPANIES = ["Кумтөр Голд Компани", "Алтынкен", "Кыргызалтын", "Иштамберды", "Жеруй Алтын", "Кара-Кече",
             "Шамбеш Голд", "Талды-Булак Левобережный"]
GROUPS = ["ГД-1-21", "ГД-2-22", "ОПИ-1-20", "МЕТ-1-21", "ГМ-3-19"]

TITLES = {
    "ky": {
        "protocol": "Кафедранын отурумунун протоколу №{n}",
        "order": "Практика боюнча буйрук №{n}",
        "contract": "«{c}» ишканасы менен өндүрүштүк практика боюнча келишим №{n}",
        "sac": "МАКтын отчету, {g} тобу",
        "report": "Кафедранын {y}-жылдагы иши боюнча отчет",
        "other": "Кафедранын маалымкаты №{n}",
    },
    "ru": {
        "protocol": "Протокол заседания кафедры №{n}",
        "order": "Приказ о практике студентов №{n}",
        "contract": "Договор о производственной практике с «{c}» №{n}",
        "sac": "Отчёт ГАК, группа {g}",
        "report": "Отчёт о работе кафедры за {y} год",
        "other": "Справка кафедры №{n}",
    },
    "en": {
        "protocol": "Minutes of the department meeting No. {n}",
        "order": "Order on student practice No. {n}",
        "contract": "Practice contract with {c} No. {n}",
        "sac": "State Attestation Commission report, group {g}",
        "report": "Annual report of the department, {y}",
        "other": "Department certificate No. {n}",
    },
}

# Sentences with the inflected forms users search for (келишим, келишимдер, келишимдин...).
SENTENCES = {
    "ky": [
        "Кафедранын отурумунда окуу планы талкууланды жана бекитилди.",
        "Өндүрүштүк практика боюнча келишимдер ишканалар менен түзүлдү.",
        "Келишимдин шарттары боюнча студенттер кен казуучу ишканаларда практикадан өтүшөт.",
        "Протоколдун көчүрмөсү деканатка жиберилди.",
        "Мамлекеттик аттестациялык комиссиянын отурумунун жыйынтыктары угулду.",
        "Студенттердин жазгы сессиянын жыйынтыктары жана алардын үлгүрүмү талкууланды.",
        "Окутуучулардын квалификациясын жогорулатуу планы кабыл алынды.",
        "Металлургиялык ишканалардын адистери менен жолугушуу уюштурулду.",
        "Тоо-кен иштери боюнча лабораториялык сабактардын графиги бекитилди.",
        "Дипломдук долбоорлордун темалары жана жетекчилери аныкталды.",
        "Кафедранын илимий иштеринин отчету угулуп, канааттандырарлык деп табылды.",
        "Практиканын жетекчилерине ишканалардын өкүлдөрү дайындалды.",
    ],
    "ru": [
        "На заседании кафедры обсуждён и утверждён учебный план.",
        "С горнодобывающими предприятиями заключены договоры о производственной практике.",
        "Согласно условиям договора студенты проходят практику на руднике.",
        "Копия протокола направлена в деканат.",
        "Заслушаны итоги работы государственной аттестационной комиссии.",
        "Рассмотрены результаты летней сессии и успеваемость студентов.",
        "Принят план повышения квалификации преподавателей кафедры.",
        "Организована встреча со специалистами металлургических предприятий.",
        "Утверждён график лабораторных занятий по горному делу.",
        "Определены темы дипломных проектов и их руководители.",
        "Отчёт о научной работе кафедры признан удовлетворительным.",
        "Руководителями практики назначены представители предприятий.",
    ],
    "en": [
        "The department meeting discussed and approved the curriculum.",
        "Practice contracts were signed with the mining companies.",
        "Under the contract the students do their practice at the mine.",
        "A copy of the minutes was sent to the dean's office.",
        "The results of the State Attestation Commission were heard.",
        "The staff development plan of the department was adopted.",
    ],
}


# A long tail of vocabulary (names, terms, places, rare words), so that word frequencies spread from
# words in every document down to words in a handful, as in real text. Made-up Kyrgyz-looking stems
# with their suffixes, drawn with Zipf's law (the k-th most frequent word about 1/k as often as the first).
_CONSONANTS = "бвгджзклмнпрстчшң"
_VOWELS = "аеиоуыөү"
_SUFFIXES = ["", "", "", "дын", "дар", "лар", "нын", "га", "ды", "да", "дан", "ларды", "лардын", "ы", "сы",
             "тын", "ка", "ге", "лер", "дин", "ов", "ами", "ых", "ой", "ом", "ах"]
TAIL_LEXICON = 60_000


@lru_cache(maxsize=2)
def _tail_lexicon(size: int) -> tuple[list[str], list[float]]:
    rng = random.Random(1729)
    syllables = [c + v for c in _CONSONANTS for v in _VOWELS] + list(_VOWELS)
    stems: dict[str, None] = {}
    while len(stems) < size:
        stems["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))] = None
    words = list(stems)
    weights = list(itertools.accumulate(1.0 / rank for rank in range(1, size + 1)))
    return words, weights


def _tail(rng: random.Random, count: int) -> str:
    stems, weights = _tail_lexicon(TAIL_LEXICON)
    chosen = rng.choices(stems, cum_weights=weights, k=count)
    suffixes = rng.choices(_SUFFIXES, k=count)
    return " ".join(stem + suffix for stem, suffix in zip(chosen, suffixes, strict=True)) + "."


def _text(rng: random.Random, language: str, words: int, tail: float = 0.0) -> str:
    pool = SENTENCES[language]
    # Mostly the document's own language, with the other one mixed in as real papers are.
    other = SENTENCES["ru" if language == "ky" else "ky"]
    sentences: list[str] = []
    count = 0
    while count < words:
        if tail and rng.random() < tail:
            length = rng.randint(6, 14)
            sentences.append(_tail(rng, length).capitalize())
            count += length
            continue
        sentence = rng.choice(other if rng.random() < 0.15 else pool)
        sentences.append(sentence)
        count += len(sentence.split())
    paragraphs = [" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5)]
    return "\n".join(paragraphs)


def generate_documents(n: int, seed: int = 0, *, words: int = 300, tail: float = 0.0) -> Iterator[dict[str, Any]]:
    """``n`` documents, each a dict with doc_type, index, year, title, doc_date (ISO), number,
    counterparty, language and text (about ``words`` words; about 2 800 make the ~20 KB of a long
    protocol). ``tail`` is the share of sentences drawn from the long-tail vocabulary (0.5 gives a
    vocabulary that grows with the corpus, as real text does)."""
    rng = random.Random(seed)
    for i in range(n):
        doc_type = rng.choices(TYPES, TYPE_WEIGHTS)[0]
        language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        year = rng.choice(YEARS)
        number = str(rng.randint(1, 120))
        company = rng.choice(COMPANIES)
        group = rng.choice(GROUPS)
        doc_date = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
        title = TITLES[language][doc_type].format(n=number, c=company, g=group, y=year)
        # A serial in the text keeps every document's bytes distinct, as real papers are.
        text = f"{title}\n{doc_date.isoformat()} · {i + 1}\n" + _text(rng, language, words, tail)
        yield {
            "doc_type": doc_type,
            "index": rng.choice(INDEX_FOR_TYPE[doc_type]),
            "year": year,
            "title": title,
            "doc_date": doc_date.isoformat(),
            "number": number,
            "counterparty": company if doc_type == "contract" else None,
            "language": language,
            "text": text,
        }
