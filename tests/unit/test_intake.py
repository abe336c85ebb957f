"""check_file: the type comes from the bytes, lies and hostile files are refused with a reason."""
from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from records.capture.intake import DEFAULT_ALLOWED, REFUSAL_CODES, FileCheck, Limits, Refusal, check_file
from tests import samples


def refusal(path: Path, filename: str | None = None, **kwargs: object) -> Refusal:
    with pytest.raises(Refusal) as caught:
        check_file(path, filename if filename is not None else path.name, **kwargs)  # type: ignore[arg-type]
    message = str(caught.value.message)
    assert message.strip(), f"refusal {caught.value.code} has no message"
    return caught.value


@pytest.mark.parametrize(
    ("make", "kind", "is_image"),
    [
        (samples.make_text_pdf, "pdf", False),
        (samples.make_scanned_pdf, "pdf", False),
        (samples.make_docx, "docx", False),
        (samples.make_doc, "doc", False),
        (samples.make_odt, "odt", False),
        (samples.make_rtf, "rtf", False),
        (samples.make_txt, "txt", False),
        (samples.make_xlsx, "xlsx", False),
        (samples.make_xls, "xls", False),
        (samples.make_ods, "ods", False),
        (lambda d: samples.make_scan_image(d, fmt="jpeg"), "jpeg", True),
        (lambda d: samples.make_scan_image(d, fmt="png"), "png", True),
        (samples.make_tiff, "tiff", True),
    ],
)
def test_every_allowed_type_is_recognised_from_its_bytes(
    tmp_path: Path, make: Callable[[Path], Path], kind: str, is_image: bool
) -> None:
    path = make(tmp_path)
    check = check_file(path, path.name)
    assert check == FileCheck(
        kind=kind, mime=check.mime, active_content=False, is_image=is_image, needs_ocr=check.needs_ocr
    )
    assert kind in DEFAULT_ALLOWED
    # The name plays no part when it says nothing: same verdict without an extension.
    assert check_file(path, "upload").kind == kind


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1251"])
def test_text_in_every_encoding_is_txt(tmp_path: Path, encoding: str) -> None:
    path = samples.make_txt(tmp_path, encoding=encoding)
    assert check_file(path, path.name).kind == "txt"


def test_scans_need_ocr_and_text_pdfs_do_not(tmp_path: Path) -> None:
    assert check_file(samples.make_scanned_pdf(tmp_path), "scan.pdf").needs_ocr is True
    assert check_file(samples.make_text_pdf(tmp_path), "text.pdf").needs_ocr is False
    assert check_file(samples.make_scan_image(tmp_path), "scan.png").needs_ocr is True


@pytest.mark.parametrize(
    ("make", "filename", "kind"),
    [
        (lambda d: samples.make_scan_image(d, fmt="jpeg", dpi=60), "scan.JPG", "jpeg"),
        (lambda d: samples.make_scan_image(d, fmt="jpeg", dpi=60), "scan.jpeg", "jpeg"),
        (lambda d: samples.make_tiff(d, dpi=60), "scan.tif", "tiff"),
        (lambda d: samples.make_tiff(d, dpi=60), "SCAN.TIFF", "tiff"),
        (samples.make_docx, "протокол № 5.docx", "docx"),
        (samples.make_docx, "notes.unknownext", "docx"),
        (samples.make_txt, "list.csv", "txt"),
    ],
)
def test_extension_equivalents_and_unknown_extensions_are_accepted(
    tmp_path: Path, make: Callable[[Path], Path], filename: str, kind: str
) -> None:
    assert check_file(make(tmp_path), filename).kind == kind


@pytest.mark.parametrize(
    ("make", "filename"),
    [
        (samples.make_png_as_pdf, "scan.pdf"),
        (samples.make_docx, "report.pdf"),
        (samples.make_text_pdf, "report.docx"),
        (samples.make_xlsx, "table.docx"),
        (samples.make_odt, "letter.doc"),
        (samples.make_doc, "letter.xls"),
        (samples.make_txt, "page.html"),
        (lambda d: samples.make_scan_image(d, fmt="jpeg", dpi=60), "scan.png"),
    ],
)
def test_a_name_that_lies_about_the_type_is_refused(
    tmp_path: Path, make: Callable[[Path], Path], filename: str
) -> None:
    refused = refusal(make(tmp_path), filename)
    assert refused.code == "type_mismatch"


@pytest.mark.parametrize(
    ("make", "filename"),
    [
        (samples.make_exe_as_pdf, "invoice.pdf"),
        (samples.make_elf_as_pdf, "report.pdf"),
        (samples.make_html_as_txt, "notes.txt"),
    ],
)
def test_programs_and_html_are_not_accepted_whatever_their_name(
    tmp_path: Path, make: Callable[[Path], Path], filename: str
) -> None:
    refused = refusal(make(tmp_path), filename)
    assert refused.code == "type_not_allowed"
    # The message tells the user what they may upload instead.
    assert "PDF" in str(refused.message) and "DOCX" in str(refused.message)
    # A program says it is one, and that its name claims another type.
    assert ("is a program" in str(refused.message)) == filename.endswith(".pdf")
    if filename.endswith(".pdf"):
        assert "its name says PDF" in str(refused.message)


def test_allowed_list_is_respected(tmp_path: Path) -> None:
    path = samples.make_docx(tmp_path)
    refused = refusal(path, allowed=frozenset({"pdf", "tiff"}))
    assert refused.code == "type_not_allowed"
    assert "PDF, TIFF" in str(refused.message)


@pytest.mark.parametrize(
    ("make", "code", "limits"),
    [
        (samples.make_empty, "empty", Limits()),
        (samples.make_text_pdf, "too_large", Limits(max_bytes=1000)),
        (samples.make_encrypted_pdf, "encrypted", Limits()),
        (samples.make_encrypted_doc, "encrypted", Limits()),
        (samples.make_encrypted_docx, "encrypted", Limits()),
        (samples.make_truncated_pdf, "damaged", Limits()),
        (samples.make_broken_zip, "damaged", Limits()),
        (samples.make_docx_with_broken_body, "damaged", Limits()),
        (samples.make_docx_with_broken_header, "damaged", Limits()),
        (samples.make_docx_template, "damaged", Limits()),
        (samples.make_corrupt_image, "damaged", Limits()),
        (samples.make_zip_bomb_docx, "inflates_too_much", Limits()),
        (samples.make_zip_bomb_docx, "inflates_too_much", Limits(max_zip_ratio=10**6, max_unzipped_bytes=2**20)),
        (samples.make_many_members_docx, "inflates_too_much", Limits(max_zip_members=100)),
        (samples.make_macro_docx, "macros", Limits()),
        (samples.make_odt_with_macro, "macros", Limits()),
        (samples.make_docx_with_exe, "executable_content", Limits()),
        (lambda d: samples.make_docx_with_exe(d, member="word/media/image1.png"), "executable_content", Limits()),
        (samples.make_billion_laughs_docx, "xml_entities", Limits()),
        (samples.make_billion_laughs_odt, "xml_entities", Limits()),
        (samples.make_external_entity_docx, "xml_entities", Limits()),
        (lambda d: samples.make_text_pdf(d, pages=4), "too_many_pages", Limits(max_pages=3)),
        (samples.make_tiff, "too_many_pages", Limits(max_pages=1)),
    ],
)
def test_hostile_and_broken_files_are_refused_with_their_reason(
    tmp_path: Path, make: Callable[[Path], Path], code: str, limits: Limits
) -> None:
    refused = refusal(make(tmp_path), limits=limits)
    assert refused.code == code


def test_every_refusal_code_has_a_sample() -> None:
    covered = {
        "empty", "too_large", "type_not_allowed", "type_mismatch", "encrypted", "damaged",
        "inflates_too_much", "macros", "executable_content", "xml_entities", "too_many_pages",
    }
    assert covered == REFUSAL_CODES


def test_a_macro_free_docm_name_does_not_hide_a_vba_project(tmp_path: Path) -> None:
    assert refusal(samples.make_macro_docx(tmp_path), "form.docm").code == "macros"


def test_pdf_opening_with_an_empty_password_is_accepted(tmp_path: Path) -> None:
    path = samples.make_encrypted_pdf(tmp_path, user_password="")
    assert check_file(path, path.name).kind == "pdf"


@pytest.mark.parametrize("make", [samples.make_js_pdf, samples.make_pdf_with_attachment])
def test_pdfs_with_scripts_or_attachments_are_kept_but_flagged(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path)
    check = check_file(path, path.name)
    assert (check.kind, check.active_content) == ("pdf", True)


def test_plain_pdf_is_not_flagged_active(tmp_path: Path) -> None:
    assert check_file(samples.make_text_pdf(tmp_path), "a.pdf").active_content is False


def test_active_content_behind_escaped_names_is_found(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    source = samples.make_js_pdf(tmp_path)
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.compress_identical_objects()
    hidden = tmp_path / "hidden.pdf"
    with hidden.open("wb") as out:
        writer.write(out)
    # Rewrite every occurrence so a byte scan cannot see it; only the object walk can.
    data = re.sub(rb"/JS(?![A-Za-z0-9])", b"/J#53", hidden.read_bytes().replace(b"/JavaScript", b"/J#61vaScript"))
    hidden.write_bytes(data)
    assert re.search(rb"/(?:JavaScript|JS)(?![A-Za-z0-9])", data) is None
    assert check_file(hidden, "hidden.pdf").active_content is True


def test_bomb_check_never_inflates_the_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = samples.make_zip_bomb_docx(tmp_path, inflated_mib=64)
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo("word/media/padding.bin").file_size == 64 * 2**20
    inflated = 0
    original_read = zipfile.ZipExtFile.read

    def counting_read(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        nonlocal inflated
        data = original_read(self, n)
        inflated += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    # Even with the ratio and size checks relaxed so every member gets inspected,
    # only bounded prefixes are read.
    relaxed = Limits(max_zip_ratio=10**9, max_unzipped_bytes=2**40)
    check_file(bomb, bomb.name, limits=relaxed)
    assert 0 < inflated < 4 * 2**20
    inflated = 0
    assert refusal(bomb).code == "inflates_too_much"
    assert inflated < 2**20


def test_refusal_rejects_unknown_codes() -> None:
    with pytest.raises(ValueError):
        Refusal("nope", "x")
