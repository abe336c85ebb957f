"""The index's own write path gives the postings the schema's analyzers give through Whoosh's writer.

The application indexes a document's words once for three fields (``DocumentWords``,
``AnalyzedText``), through its own codec and posting buffer. Here the same documents are also
written the ordinary way: the searchable text handed to each field as a string, so every field's
analyzer runs, through Whoosh's stock writer and codec. Every field's terms, document frequencies,
per-document frequencies, weights, positions and field lengths must be the same.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.reading import IndexReader

from records.search.base import IndexDoc
from records.search.whoosh_index import WhooshIndex
from records.search.whoosh_schema import DocumentWords, build_schema, document_fields, searchable_text

CORPUS = [
    IndexDoc(id=1, title="Кафедранын жыйналышынын протоколу № 7", case_index="12-4-7", year=2023,
             doc_type="protocol", doc_date=date(2023, 3, 14), number="7/2023", counterparty=None, language="ky",
             text="Кафедранын жыйналышы 14.03.2023-жылы өттү. Окуу-усулдук кеңештин чечими: студенттердин "
                  "өндүрүштүк практикасы ишканаларда өтөт. Күн тартиби: 1) дипломдук долбоорлор; 2) үч "
                  "бөлүмдүн отчеттору. Төрагасы Өмүрбеков Ү. Ң. Кен казуучу ишканаларда практика, "
                  "практикалар, практикасы.",
             filenames=["протокол_7.pdf", "scan-0007.tiff"]),
    IndexDoc(id=2, title="Договор о практике студентов", case_index="01 - 15", year=2022, doc_type="Contract",
             doc_date=date(2022, 11, 30), number="ДП-15/22", counterparty="ОсОО «Кумтөр Голд Компани»",
             language="RU",
             text="Договор № 15 от 30 ноября 2022 г. между университетом и предприятием о прохождении "
                  "производственной практики студентами горного факультета. Сумма 125 000,50 сом; "
                  "срок 2022-12-01 — 2023-06-30. Стороны договорились о нижеследующем: практика, практики, "
                  "практикой.",
             filenames=["dogovor_15.docx"]),
    IndexDoc(id=3, title="Annual report of the mining department", case_index="03-2", year=2021,
             doc_type="report", doc_date=None, number=None, counterparty="Kyrgyzaltyn JSC", language="en",
             text="The department trained 1,250 students in 2021; 98.5% passed the state exams. Reports, "
                  "reporting and reported figures follow. Кафедра протокол 2021-жыл. E-mail: dept@example.kg, "
                  "ISO 9001:2015.",
             filenames=[]),
    IndexDoc(id=4, title="Буйрук", case_index="12-4-7", year=2023, doc_type="order", doc_date=date(2023, 1, 9),
             number="1", counterparty="Кыргыз-Түрк «Манас» университети", language=None,
             text="Буйрук буйругу буйруктар. Өзгөчө ыкчам үйрөнүү: өңүт, үңкүр, көңүл. Ёлка, щётка, «кавычки».",
             filenames=["буйрук-1.pdf"]),
    IndexDoc(id=5, title="", case_index="5", year=2020, doc_type="act", doc_date=date(2020, 12, 31), number="",
             counterparty="", language="ky", text="", filenames=[]),
]


def _reference_fields(doc: IndexDoc) -> dict[str, Any]:
    """The document's field values with the searchable text as a string, so each field's analyzer runs."""
    fields = document_fields(doc)
    text = searchable_text(doc)
    for name, value in list(fields.items()):
        if isinstance(value, DocumentWords):
            if text:
                fields[name] = text
            else:
                del fields[name]  # (Whoosh refuses an empty string for a field with positions)
    return fields


def _postings(reader: IndexReader) -> dict[str, dict[bytes, Any]]:
    """Per field, per term: the document frequency and each document's (frequency, weight, positions, length),
    documents named by their stored id."""
    ids = reader.column_reader("id")
    found: dict[str, dict[bytes, Any]] = {}
    for fieldname, text in reader.all_terms():
        field = reader.schema[fieldname]
        matcher = reader.postings(fieldname, text)
        rows = {}
        while matcher.is_active():
            docnum = matcher.id()
            rows[ids[docnum]] = (
                matcher.value_as("frequency") if field.format.supports("frequency") else None,
                matcher.weight(),
                matcher.value_as("positions") if field.format.supports("positions") else None,
                reader.doc_field_length(docnum, fieldname) if field.scorable else None,
            )
            matcher.next()
        found.setdefault(fieldname, {})[text] = (reader.doc_frequency(fieldname, text), rows)
    return found


def test_the_fast_write_path_gives_the_postings_of_the_fields_analyzers(tmp_path: Path) -> None:
    fast = WhooshIndex(tmp_path / "fast")
    fast.add(CORPUS)
    (tmp_path / "reference").mkdir()
    reference = whoosh_index.create_in(str(tmp_path / "reference"), build_schema())
    with reference.writer() as writer:  # Whoosh's own writer, codec and posting pool
        for doc in CORPUS:
            writer.add_document(**_reference_fields(doc))

    with fast._ix.reader() as fast_reader, reference.reader() as reference_reader:
        got, expected = _postings(fast_reader), _postings(reference_reader)
    assert set(got) == set(expected) >= {"content", "exact", "words", "title", "counterparty", "case_index",
                                         "year", "doc_type", "number", "language", "doc_date", "date_key", "id"}
    for fieldname in expected:
        assert got[fieldname] == expected[fieldname], fieldname
    # The corpus reaches what it is for: Kyrgyz letters, Russian and English words, numbers.
    words = {text.decode("utf-8") for text in expected["words"]}
    assert {"өндүрүштүк", "кеңештин", "үч", "үңкүр", "договор", "students", "2023", "125"} <= words
