"""The OCR pool and the page reader: pages come back in order, memory stays bounded, tesseract's TSV is
laid out as text with its confidence, and the chosen languages read Kyrgyz names."""
from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from records.capture.intake import FileCheck, Limits, extract_text
from records.capture.intake import ocr as ocr_module
from records.capture.intake.ocr import OcrPool, PageText, choose_languages, read_tsv, skew_angle
from tests import samples


class _Page:
    def __init__(self, number: int) -> None:
        self.number = number


def test_pool_answers_in_page_order_with_at_most_two_pages_per_worker_waiting() -> None:
    pool = OcrPool(3)
    lock = threading.Lock()
    alive = {"now": 0, "most": 0}

    class Counted(_Page):
        def __init__(self, number: int) -> None:
            super().__init__(number)
            with lock:
                alive["now"] += 1
                alive["most"] = max(alive["most"], alive["now"])

    def read(page: Counted) -> PageText:  # type: ignore[override]
        time.sleep(random.uniform(0, 0.01))  # pages finish out of order
        return PageText(f"page {page.number}", 90.0, 2)

    def pages() -> object:
        for number in range(40):
            yield Counted(number)

    out = []
    for answer in pool.map(read, pages()):  # type: ignore[arg-type]
        out.append(answer.text)
        with lock:
            alive["now"] -= 1
    pool.shutdown()
    assert out == [f"page {n}" for n in range(40)]
    assert alive["most"] <= 2 * 3


def test_two_readers_share_the_pool_without_holding_each_other_up() -> None:
    pool = OcrPool(1)

    def read(page: _Page) -> PageText:  # type: ignore[override]
        return PageText(str(page.number), None, 0)

    first = pool.map(read, (_Page(n) for n in range(5)))  # type: ignore[arg-type]
    second = pool.map(read, (_Page(n) for n in range(5, 10)))  # type: ignore[arg-type]
    got = [next(first).text, next(second).text]  # each holds pool slots while the other starts
    got += [page.text for page in first] + [page.text for page in second]
    pool.shutdown()
    assert sorted(got, key=int) == [str(n) for n in range(10)]


def test_a_failing_page_is_raised_and_the_rest_are_dropped() -> None:
    pool = OcrPool(2)

    def read(page: _Page) -> PageText:  # type: ignore[override]
        if page.number == 3:
            raise ocr_module.OcrError("OCR took longer than 120 s")
        return PageText(str(page.number), 80.0, 1)

    with pytest.raises(ocr_module.OcrError):
        list(pool.map(read, (_Page(n) for n in range(10))))  # type: ignore[arg-type]
    # every slot came back: a new reader still gets all its pages
    assert [p.text for p in pool.map(read, (_Page(n) for n in range(4, 9)))] == ["4", "5", "6", "7", "8"]  # type: ignore[arg-type]
    pool.shutdown()


def test_tsv_is_laid_out_as_lines_and_paragraphs_with_mean_word_confidence() -> None:
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t",
        "5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t96.0\tОсмонов",
        "5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t90.0\tБектемир",
        "5\t1\t1\t1\t2\t1\t0\t0\t10\t10\t84.0\tМ-1-20",
        "5\t1\t2\t1\t1\t1\t0\t0\t10\t10\t70.0\tтайпасы",
        "5\t1\t2\t1\t1\t2\t0\t0\t10\t10\t-1\t ",
    ]
    page = read_tsv("\n".join([header, *rows]))
    assert page.text == "Осмонов Бектемир\nМ-1-20\n\nтайпасы"
    assert (page.confidence, page.words) == (85.0, 4)
    assert read_tsv(header) == PageText("", None, 0)


def test_page_languages_follow_the_letters_of_a_first_reading() -> None:
    installed = frozenset({"kir", "rus", "eng"})
    assert choose_languages("Кафедранын отурумунун протоколу", installed) == "kir"
    assert choose_languages("Протокол заседания кафедры", installed) == "rus"
    assert choose_languages("Scopus жана WoS базаларындагы макалалар", installed) == "kir+eng"
    assert choose_languages("Annual report", installed) == "eng"


def test_skew_of_a_turned_page_is_found() -> None:
    page = samples.render_page(samples.KY_TEXT + " " + samples.RU_TEXT, dpi=150)
    turned = page.rotate(1.5, resample=Image.Resampling.BILINEAR, fillcolor=255)
    assert abs(skew_angle(turned) - (-1.5)) <= 0.2
    assert abs(skew_angle(page)) <= 0.2


# --- real tesseract ------------------------------------------------------------------------------

SURNAME_LINE = "Студент Осмонов Бектемир жана Нышанбай кызы Делбирим М-1-21 тайпасынан сынакка катышты."


@pytest.mark.ocr
def test_default_languages_read_a_scanned_kyrgyz_line_with_surnames(tmp_path: Path, ocr_ready: None) -> None:
    page = samples.render_page(SURNAME_LINE, dpi=300, font_px=46)
    scan = page.rotate(-0.8, resample=Image.Resampling.BILINEAR, fillcolor=255)  # fed slightly askew
    path = tmp_path / "names.png"
    scan.save(path, dpi=(300, 300))
    result = extract_text(path, FileCheck(kind="png", mime="image/png", is_image=True, needs_ocr=True), Limits())
    for word in ("Осмонов", "Бектемир", "Нышанбай", "Делбирим", "тайпасынан", "М-1-21"):
        assert word in result.text.split(), (word, result.text)
    assert result.confidence is not None and 50 < result.confidence <= 100


@pytest.mark.ocr
def test_pages_of_one_document_are_read_in_parallel_and_kept_in_order(tmp_path: Path, ocr_ready: None) -> None:
    texts = ["Биринчи барак: кафедранын протоколу.", "Второй лист: приказ о практике.",
             "Үчүнчү барак: келишимдин мөөнөтү.", "Четвёртый лист: отчёт кафедры."]
    pages = [samples.render_page(text, dpi=200) for text in texts]
    path = tmp_path / "scan.pdf"  # a scanner's PDF: page images, no text layer
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=200.0)
    result = extract_text(path, FileCheck(kind="pdf", mime="application/pdf", needs_ocr=True), Limits(ocr_dpi=200),
                          ocr_workers=2)
    assert (result.status, result.method, result.pages) == ("done", "ocr", 4)
    assert result.confidence is not None
    firsts = [result.text.find(word) for word in ("Биринчи", "Второй", "Үчүнчү", "Четвёртый")]
    assert -1 not in firsts and firsts == sorted(firsts), result.text
