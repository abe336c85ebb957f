"""extract_text: Kyrgyz and Russian words survive every accepted format, scans go through OCR."""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from records.capture.intake import FileCheck, Limits, check_file, extract_text, ocr_available
from records.capture.intake import ocr as ocr_module
from records.capture.intake.extract import decode_text, normalise_text
from tests import samples


def extract(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return extract_text(path, check_file(path, path.name), **kwargs)  # type: ignore[arg-type]


def assert_has_words(text: str, words: tuple[str, ...]) -> None:
    folded = text.casefold()
    missing = [w for w in words if w.casefold() not in folded]
    assert not missing, f"missing {missing} in {text[:300]!r}"


@pytest.mark.parametrize(
    ("make", "method"),
    [
        (samples.make_text_pdf, "pdf-text"),
        (samples.make_docx, "docx"),
        (samples.make_doc, "catdoc"),
        (samples.make_odt, "odt"),
        (samples.make_rtf, "rtf"),
        (samples.make_txt, "txt"),
        (lambda d: samples.make_txt(d, encoding="utf-8-sig"), "txt"),
        (lambda d: samples.make_txt(d, encoding="utf-16"), "txt"),
    ],
)
def test_documents_round_trip_kyrgyz_and_russian_words(
    tmp_path: Path, make: Callable[[Path], Path], method: str
) -> None:
    result = extract(make(tmp_path))
    assert (result.status, result.method, result.error) == ("done", method, None)
    assert_has_words(result.text, samples.WORDS)


def test_cp1251_text_comes_out_as_russian(tmp_path: Path) -> None:
    result = extract(samples.make_txt(tmp_path, encoding="cp1251"))
    assert result.status == "done"
    assert_has_words(result.text, samples.RU_WORDS)


@pytest.mark.parametrize("make", [samples.make_xlsx, samples.make_xls, samples.make_ods])
def test_spreadsheets_round_trip_cells_row_by_row(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    result = extract(make(tmp_path))
    assert result.status == "done"
    assert "12-4-9\tӨндүрүштүк практика боюнча келишимдер\t5 лет ЭПК" in result.text
    assert_has_words(result.text, ("Туруктуу", "утверждён", "ещё", "Жаңы", "мөөнөтү"))


def test_docx_tables_are_extracted(tmp_path: Path) -> None:
    path = samples.make_docx(tmp_path, text="Номенклатура", table=[["12-4-7", "Отурумдун протоколдору"]])
    result = extract(path)
    assert "12-4-7\tОтурумдун протоколдору" in result.text


def test_docx_headers_and_footers_are_extracted_once_each(tmp_path: Path) -> None:
    result = extract(samples.make_docx_with_headers(tmp_path))
    assert result.status == "done"
    assert result.text.split("\n") == [
        "Биринчи бөлүм", "", "Экинчи бөлүм", "Кафедранын баш жазуусу", "Подвал документа", "Второй колонтитул",
    ]


def test_rtf_without_codepage_declaration_is_read_as_cp1251(tmp_path: Path) -> None:
    path = samples.make_rtf(tmp_path, text=samples.RU_TEXT)
    path.write_bytes(path.read_bytes().replace(b"\\ansicpg1251", b""))
    assert_has_words(extract(path).text, samples.RU_WORDS)


def test_password_free_encrypted_pdf_is_extracted(tmp_path: Path) -> None:
    result = extract(samples.make_encrypted_pdf(tmp_path, user_password=""))
    assert result.status == "done"
    assert_has_words(result.text, samples.WORDS)


def test_text_comes_out_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "утверждён Өндүрүш")
    assert decomposed != "утверждён Өндүрүш"
    path = samples.make_txt(tmp_path, text=decomposed)
    assert extract(path).text == "утверждён Өндүрүш"


def test_normalise_text_strips_nuls() -> None:
    assert normalise_text("у\x00т\x00в") == "утв"


def test_text_is_cut_at_the_character_limit(tmp_path: Path) -> None:
    path = samples.make_docx(tmp_path, text="\n".join([samples.KY_TEXT] * 50))
    result = extract(path, limits=Limits(max_text_chars=200))
    assert result.status == "done"
    assert len(result.text) <= 200


def test_broken_content_gives_failed_not_an_exception(tmp_path: Path) -> None:
    path = samples.make_broken_zip(tmp_path)
    result = extract_text(path, FileCheck(kind="docx", mime="x"))
    assert result.status == "failed"
    assert result.error


def test_unknown_kind_gives_failed(tmp_path: Path) -> None:
    result = extract_text(samples.make_txt(tmp_path), FileCheck(kind="zip", mime="application/zip"))
    assert (result.status, bool(result.error)) == ("failed", True)


def test_missing_tesseract_is_reported_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = samples.make_scan_image(tmp_path, dpi=60)
    check = check_file(path, path.name)
    monkeypatch.setattr(ocr_module, "TESSERACT_CMD", "tesseract-not-installed-here")
    assert ocr_available() is False
    result = extract_text(path, check)
    assert result.status == "failed"
    assert "not installed" in (result.error or "")


def test_only_installed_languages_are_asked_for() -> None:
    assert ocr_module.usable_languages("kir+rus+eng", frozenset({"eng", "rus"})) == "rus+eng"
    with pytest.raises(ocr_module.OcrError):
        ocr_module.usable_languages("kir", frozenset({"eng"}))


@given(st.text())
def test_utf8_text_always_decodes_to_itself(text: str) -> None:
    # (A leading U+FEFF is the byte order mark, and is dropped.)
    assert decode_text(text.encode("utf-8")) == text.removeprefix("\ufeff")


@pytest.mark.parametrize("text", ["юяАААААА", "яюбвгдеж жизнь", "юя\r\nПротокол заседания кафедры"])
def test_cp1251_text_opening_with_the_bytes_of_a_utf16_mark_stays_cp1251(text: str) -> None:
    assert decode_text(text.encode("cp1251")) == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_their_mark_are_read_as_such(encoding: str) -> None:
    text = "Кафедранын отурумунун протоколу №5 — Protocol"
    data = text.encode(encoding) if encoding != "utf-16-be" else b"\xfe\xff" + text.encode(encoding)
    assert decode_text(data) == text


@given(st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюя АБВГДЕ.,", min_size=8))
def test_cyrillic_cp1251_decodes_to_itself(text: str) -> None:
    if sum(ch.isalpha() for ch in text) < 8:
        return
    assert decode_text(text.encode("cp1251")) == text


def test_normalise_text_collapses_page_breaks_and_crlf() -> None:
    assert normalise_text("a\r\nb\x0c\x0c\x0c\nc  \n") == "a\nb\n\nc"


# --- OCR: a few real tesseract runs, seconds each --------------------------------


@pytest.mark.ocr
def test_scanned_kyrgyz_page_is_read(tmp_path: Path, ocr_ready: None) -> None:
    result = extract(samples.make_scan_image(tmp_path, text=samples.KY_TEXT, fmt="png"))
    assert (result.status, result.method, result.pages) == ("done", "ocr", 1)
    assert_has_words(result.text, samples.KY_WORDS)


@pytest.mark.ocr
def test_scanned_russian_page_is_read(tmp_path: Path, ocr_ready: None) -> None:
    result = extract(samples.make_scan_image(tmp_path, text=samples.RU_TEXT, fmt="jpeg"))
    assert (result.status, result.method) == ("done", "ocr")
    assert_has_words(result.text, samples.RU_WORDS)


@pytest.mark.ocr
def test_every_tiff_page_is_read(tmp_path: Path, ocr_ready: None) -> None:
    result = extract(samples.make_tiff(tmp_path, texts=("Кафедранын протоколу", "Договор утверждён")))
    assert result.pages == 2
    assert_has_words(result.text, ("Кафедранын", "утверждён"))


@pytest.mark.ocr
def test_pdf_pages_without_text_layer_are_ocred(tmp_path: Path, ocr_ready: None) -> None:
    result = extract(samples.make_scanned_pdf(tmp_path, text="Өндүрүштүк практика. Приказ утверждён."))
    assert (result.status, result.method, result.pages) == ("done", "ocr", 1)
    assert_has_words(result.text, ("Өндүрүштүк", "утверждён"))


@pytest.mark.ocr
def test_blank_scan_has_no_text(tmp_path: Path, ocr_ready: None) -> None:
    result = extract(samples.make_blank_scan(tmp_path))
    assert (result.status, result.text, result.error) == ("none", "", None)


def test_pdf_text_layer_falls_back_to_pypdf_when_pdfium_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import records.capture.intake.extract as extract_module

    def refuse(_path: Path) -> object:
        raise RuntimeError("pdfium cannot open this file")

    monkeypatch.setattr(extract_module, "_open_pdfium", refuse)
    path = samples.make_text_pdf(tmp_path)
    result = extract_text(path, check_file(path, path.name))
    assert result.status == "done" and result.method == "pdf-text"
    assert_has_words(result.text, samples.RU_WORDS)
