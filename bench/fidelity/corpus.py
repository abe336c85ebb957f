"""The text-fidelity corpus: Kyrgyz and Russian documents as the department makes them.

Writer documents are written as flat ODF (``.fodt``) and converted by LibreOffice itself
(``soffice --headless --convert-to``) into PDF, DOCX, ODT and RTF, so the files are real office
exports: with the default fonts, and with a font that lacks the Kyrgyz letters ө, ү, ң (DejaVu Sans
Light), so LibreOffice draws those letters from a fallback font as separate runs. Besides: a Word-style
DOCX (python-docx) exported to PDF, a reportlab PDF, and a scanned-then-OCRed PDF (tesseract's
``pdf`` output). ``build(folder)`` writes them all and returns their paths; run this module to
(re)build a folder:  ``python -m bench.fidelity.corpus OUT``, or to rewrite the tests' fixtures:
``python -m bench.fidelity.corpus --fixtures tests/fixtures/text``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[2]
SEED = Path("/work/shared/seeds/000_17259ddaa3da2dc4.txt")

# Font families: LibreOffice's default (carries ө ү ң); an installed one whose Cyrillic lacks ң
# (DejaVu Sans Light); and Liberation Sans stripped of ө, ү, ң (as older Windows fonts are), made here.
DEFAULT_FONT = "Liberation Serif"
FALLBACK_FONT = "DejaVu Sans Light"
RUSSIAN_ONLY_FONT = "Sandyk Russian Sans"
KYRGYZ_LETTERS = "ӨөҮүҢң"

KY_PARAGRAPHS = [
    "Кафедраны өнүктүрүү стратегиясы жана аны ишке ашыруу. Ушул стратегия 2023-жылдын 4-сентябрындагы №1 "
    "протоколунун «Пайдалуу кендерди байытуу жана металлургиялык процесстери» кафедрасынын отурумунда каралды.",
    "Билим берүү ишмердүүлүгүн өнүктүрүүнүн максаты – сапаттуу орто, орто кесиптик, жогорку жана кошумча билим "
    "берүүнүн үзгүлтүксүз системасын түзүү.",
    "Кафедраны өнүктүрүүнүн стратегиялык багыттары болуп төмөнкүлөр саналат: кафедрага бекитилген "
    "дисциплиналарды оптималдаштыруу менен окутуунун жана окуу-усулдук камсыздоонун сапатын жогорулатуу.",
    "Илимий-изилдөө, инженердик жана билим берүү долбоорлору аркылуу кафедранын илимий багыттарын тең "
    "салмактуу өнүктүрүү, илимий жана өндүрүштүк коомчулук менен байланышты өнүктүрүү.",
    "Кайра иштетүүчү ишканалар менен келишимдердин санын көбөйтүү: «Кумтөр Голд Компани» ЖАК, «КАЗ Минералс "
    "Бозымчак» ЖЧК, «Альянс Алтын» ЖЧК, «Алтынкен» ЖАК менен өндүрүштүк практика боюнча келишимдер түзүлдү.",
    "Окутуучулардын студенттик топтордун кураторлору жана илимий-изилдөө иштеринин жетекчилери катары иши; "
    "университеттин студенттик кеңеши менен өнөктөштүктү өнүктүрүү.",
    "Бүтүрүүчүлөрдүн өз макалаларын жыл сайын өтүүчү конференциялардын материалдарында жарыялоо жана жаш "
    "окумуштуулардын секцияларында баяндамаларын даярдоо боюнча иштер жүргүзүлөт.",
    "Мамлекеттик аттестациялык комиссиянын отчету, мөөнөттүү сактоо, окутуучулардын жүктөмү жана "
    "кафедранын отурумунун чечими боюнча буйрук даярдалды.",
]
KY_LONG_WORDS = ("жогорулатылгандыгынын өнүктүрүлгөндүгүнө үзгүлтүксүздүгүнүн көрсөткүчтөрүнүн "
                 "мүмкүнчүлүктөрүнөн пайдаланылбагандыктан өндүрүштүк-технологиялык")
RU_PARAGRAPHS = [
    "Протокол заседания кафедры обогащения полезных ископаемых и металлургических процессов от 15 января "
    "2024 года. Присутствовали: заведующий кафедрой, профессора, доценты и старшие преподаватели.",
    "Повестка дня: утверждение номенклатуры дел кафедры на текущий год, отчёт о производственной практике "
    "студентов на предприятиях горно-металлургической отрасли, разное.",
    "Слушали заведующего кафедрой о подготовке документов для Государственной аттестационной комиссии и о "
    "сроках хранения протоколов, приказов и договоров с предприятиями.",
    "Постановили: утвердить номенклатуру дел, поручить секретарю кафедры подготовить опись дел постоянного "
    "хранения и акт о выделении к уничтожению документов, не подлежащих хранению.",
]
TABLE_ROWS = [
    ("№", "Иштин аталышы", "Сактоо мөөнөтү", "Эскертүү"),
    ("12-4-7", "Кафедранын отурумдарынын протоколдору", "Туруктуу", "Мамлекеттик сактоого берилбейт"),
    ("12-4-15", "Өндүрүштүк практика боюнча келишимдер", "5-ж. ЭПК", "Ишканалар менен түзүлгөн"),
    ("12-4-19", "Мамлекеттик аттестациялык комиссиянын отчеттору", "Туруктуу", "Бүтүрүүчүлөрдүн тизмеси"),
    ("12-4-21", "Окутуучулардын жүктөмү жана сабактардын жадыбалы", "3-жыл", "Өзгөртүүлөр менен"),
]


@dataclass(frozen=True)
class Writer:
    """One Writer document: which font and which parts of page layout it exercises."""

    name: str
    font: str = DEFAULT_FONT
    language: str = "ky"
    columns: int = 1
    header_footer: bool = False
    table: bool = False
    notes: bool = False  # a footnote and a text box
    long_words: bool = False
    tabs: bool = False
    soft_hyphens: bool = False
    paragraphs: int = 8


WRITER_DOCS = [
    Writer("ky-default", header_footer=True, notes=True),
    Writer("ky-fallback", font=FALLBACK_FONT, header_footer=True, long_words=True),
    Writer("ky-fallback-table", font=FALLBACK_FONT, table=True, tabs=True, paragraphs=3),
    Writer("ky-fallback-columns", font=FALLBACK_FONT, columns=2, header_footer=True),
    Writer("ky-russian-font", font=RUSSIAN_ONLY_FONT, header_footer=True, table=True, long_words=True),
    Writer("ky-russian-font-columns", font=RUSSIAN_ONLY_FONT, columns=2),
    Writer("ru-default", language="ru", table=True, header_footer=True, paragraphs=4),
    Writer("ky-office", header_footer=True, table=True, notes=True, tabs=True, soft_hyphens=True, paragraphs=4),
]

# Text in the parts of a page that plain-text conversions tend to drop.
PARTS = {
    "header": "Пайдалуу кендерди байытуу кафедрасы – ички документ",
    "footer": "Бишкек шаары, 2024-жыл. Көчүрүүгө тыюу салынат.",
    "footnote": "Эскертүү: өндүрүштүк практиканын мөөнөтү үч жума.",
    "text box": "Текст кутучасы: бөлүмдүн өкүлү Төлөгөнов Үсөн",
}
QUICK = {"ky-default", "ky-russian-font", "ky-office"}

_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"'
)


def _p(text: str, style: str = "") -> str:
    attr = f' text:style-name="{style}"' if style else ""
    return f"<text:p{attr}>{escape(text)}</text:p>"


def _soft_hyphenate(text: str) -> str:
    """Soft hyphens inside the long words, as a word processor's manual hyphenation leaves them."""
    return " ".join(w[:4] + "\u00ad" + w[4:] if len(w) > 9 else w for w in text.split(" "))


def fodt(doc: Writer) -> str:
    """The flat ODF text of a Writer document."""
    paragraphs = (KY_PARAGRAPHS if doc.language == "ky" else RU_PARAGRAPHS)[: doc.paragraphs]
    if doc.language == "ky" and doc.paragraphs > len(KY_PARAGRAPHS) // 2:
        paragraphs = paragraphs + RU_PARAGRAPHS[:1]  # Kyrgyz reports quote Russian papers
    body: list[str] = [_p("Кафедранын отчету" if doc.language == "ky" else "Протокол заседания кафедры", "Title")]
    for number, text in enumerate(paragraphs):
        if doc.soft_hyphens:
            text = _soft_hyphenate(text)
        if doc.notes and number == 1:
            body.append(
                f"<text:p>{escape(text)}<text:note text:id=\"n1\" text:note-class=\"footnote\">"
                "<text:note-citation>1</text:note-citation><text:note-body>"
                + _p(PARTS["footnote"])
                + "</text:note-body></text:note></text:p>")
        elif doc.notes and number == 2:
            body.append(
                "<text:p><draw:frame draw:name=\"box\" text:anchor-type=\"as-char\" svg:width=\"12cm\" "
                "svg:height=\"1.5cm\" draw:z-index=\"0\"><draw:text-box>"
                + _p(PARTS["text box"])
                + f"</draw:text-box></draw:frame></text:p>{_p(text)}")
        else:
            body.append(_p(text))
    if doc.long_words:
        body.append(_p(KY_LONG_WORDS))
    if doc.tabs:
        body.append("<text:p>Катчы:<text:tab/>Төлөгөнова Айгүл<text:tab/>2024-01-15</text:p>")
    if doc.table:
        cells = "".join(
            "<table:table-row>" + "".join(
                f'<table:table-cell office:value-type="string">{_p(cell)}</table:table-cell>' for cell in row)
            + "</table:table-row>" for row in TABLE_ROWS)
        body.append(f'<table:table table:name="T1"><table:table-column table:number-columns-repeated="4"/>'
                    f"{cells}</table:table>")
        body.append(_p("Таблицадан кийинки сап: бардык иштер өз мөөнөтүндө өткөрүлдү."))
    text = "".join(body)
    if doc.columns > 1:
        text = f'<text:section text:style-name="Cols" text:name="S1">{text}</text:section>'
    header = footer = ""
    if doc.header_footer:
        header = "<style:header>" + _p(PARTS["header"]) + "</style:header>"
        footer = "<style:footer>" + _p(PARTS["footer"]) + "</style:footer>"
    lang = "ky" if doc.language == "ky" else "ru"
    country = "KG" if lang == "ky" else "RU"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document {_NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:font-face-decls><style:font-face style:name="Body" svg:font-family="'{doc.font}'"/></office:font-face-decls>
<office:styles>
<style:default-style style:family="paragraph"><style:text-properties style:font-name="Body" fo:font-size="11pt"
 fo:language="{lang}" fo:country="{country}"/></style:default-style>
<style:style style:name="Title" style:family="paragraph"><style:text-properties fo:font-size="16pt"
 fo:font-weight="bold"/></style:style>
</office:styles>
<office:automatic-styles>
<style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"
 fo:margin-top="1.5cm" fo:margin-bottom="1.5cm" fo:margin-left="2cm" fo:margin-right="1.5cm"/></style:page-layout>
<style:style style:name="Cols" style:family="section"><style:section-properties><style:columns fo:column-count="2"
 fo:column-gap="0.8cm"/></style:section-properties></style:style>
</office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1">{header}{footer}
</style:master-page></office:master-styles>
<office:body><office:text>{text}</office:text></office:body>
</office:document>
"""


def word_docx(path: Path, font: str) -> None:
    """A DOCX as Word writes one (python-docx): header, footer, a table, paragraphs in ``font``."""
    import docx

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = font
    section = document.sections[0]
    section.header.paragraphs[0].text = "Кафедранын ички документи – Word"
    section.footer.paragraphs[0].text = "Бишкек, 2024-жыл"
    document.add_heading("Өндүрүштүк практика боюнча отчет", level=1)
    for text in KY_PARAGRAPHS[2:6]:
        document.add_paragraph(text)
    table = document.add_table(rows=0, cols=4)
    for row in TABLE_ROWS:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = value
    document.add_paragraph(RU_PARAGRAPHS[1])
    document.save(str(path))


def reportlab_pdf(path: Path) -> None:
    """A PDF printed by the product's own reportlab forms (DejaVu Sans embedded)."""
    sys.path.insert(0, str(REPO))
    from records.pdf import TableForm, render

    form = TableForm(title="Иштердин номенклатурасы", headers=TABLE_ROWS[0], rows=TABLE_ROWS[1:],
                     widths=[1, 4, 2, 3], before_table=KY_PARAGRAPHS[:2], after_table=RU_PARAGRAPHS[:1],
                     signatures=["Кафедра башчысы ____________ Үсөнова Гүлнара"], landscape=False)
    path.write_bytes(render(form))


def scanned_pdf(path: Path, dpi: int = 200) -> None:
    """A page of Kyrgyz text rendered as a picture and read by tesseract into a searchable PDF."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(REPO / "static" / "fonts" / "DejaVuSans.ttf"), int(11 * dpi / 72))
    image = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    y = int(0.8 * dpi)
    for text in KY_PARAGRAPHS[:4]:
        line = ""
        for word in text.split():
            if draw.textlength(f"{line} {word}", font=font) > image.width - 1.6 * dpi:
                draw.text((int(0.8 * dpi), y), line, font=font, fill=0)
                y += int(font.size * 1.5)
                line = word
            else:
                line = f"{line} {word}".strip()
        draw.text((int(0.8 * dpi), y), line, font=font, fill=0)
        y += int(font.size * 2.2)
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "page.png"
        image.save(png, dpi=(dpi, dpi))
        subprocess.run(["tesseract", str(png), str(Path(tmp) / "out"), "-l", "kir+rus", "--dpi", str(dpi), "pdf"],
                       check=True, capture_output=True, timeout=300)
        shutil.move(str(Path(tmp) / "out.pdf"), path)


def russian_only_font(folder: Path) -> Path:
    """Liberation Sans without ө, ү, ң, renamed, and a fontconfig file that adds it to the system's fonts."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    fonts = folder / "fonts"
    fonts.mkdir(exist_ok=True)
    source = subprocess.run(["fc-match", "-f", "%{file}", "Liberation Sans"], capture_output=True, text=True,
                            check=True, timeout=30).stdout
    font = TTFont(source)
    keep = [cp for cp in font.getBestCmap() if chr(cp) not in KYRGYZ_LETTERS]
    subsetter = subset.Subsetter(subset.Options())
    subsetter.populate(unicodes=keep)
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = RUSSIAN_ONLY_FONT
        elif record.nameID == 6:
            record.string = RUSSIAN_ONLY_FONT.replace(" ", "")
    font.save(str(fonts / "SandykRussianSans.ttf"))
    config = folder / "fonts.conf"
    config.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                      f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>{fonts}</dir>'
                      f'<cachedir>{folder / "fontcache"}</cachedir></fontconfig>', encoding="utf-8")
    return config


def soffice(sources: list[Path], target: str, out: Path, fonts: Path | None = None) -> None:
    """Convert files with LibreOffice (its own profile folder, so it never meets a running instance);
    ``fonts``: a fontconfig file to use instead of the system's."""
    env = dict(os.environ, FONTCONFIG_FILE=str(fonts)) if fonts else None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target,
                        "--outdir", str(out), *map(str, sources)], check=True, capture_output=True, timeout=600,
                       env=env)


@dataclass(frozen=True)
class Corpus:
    pdfs: list[Path]
    office: list[Path]  # DOCX, ODT, RTF


def build(folder: Path, quick: bool = False) -> Corpus:
    """Write the corpus into ``folder``. Quick: fewer Writer documents, no scan."""
    folder.mkdir(parents=True, exist_ok=True)
    writers = [w for w in WRITER_DOCS if w.name in QUICK] if quick else WRITER_DOCS
    sources: list[Path] = []
    for doc in writers:
        source = folder / f"{doc.name}.fodt"
        source.write_text(fodt(doc), encoding="utf-8")
        sources.append(source)
    word = folder / "word-style.docx"
    word_docx(word, "Times New Roman")
    word_fallback = folder / "word-fallback.docx"
    word_docx(word_fallback, RUSSIAN_ONLY_FONT)
    soffice(sources + [word, word_fallback], "pdf", folder, fonts=russian_only_font(folder))
    office_sources = [s for s in sources if s.stem in {"ky-office", "ky-default", "ru-default"}] or sources[:1]
    for target in ("docx", "odt", "rtf"):
        soffice(office_sources, target, folder)
    reportlab_pdf(folder / "reportlab.pdf")
    pdfs = [folder / f"{s.stem}.pdf" for s in sources] + [folder / "word-style.pdf", folder / "word-fallback.pdf",
                                                          folder / "reportlab.pdf"]
    if not quick:
        scanned_pdf(folder / "scan-ocr.pdf")
        pdfs.append(folder / "scan-ocr.pdf")
    office = [folder / f"{s.stem}.{ext}" for s in office_sources for ext in ("docx", "odt", "rtf")]
    return Corpus(pdfs=pdfs, office=office + [word])


def typed_words() -> set[str]:
    """Every word typed into the corpus: the words of the string literals of this module."""
    import ast

    from bench.fidelity.words import words

    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(words(node.value))
    return found


# The few files the tests keep (``tests/fixtures/text``), with the reference texts they are checked against.
FIXTURE_PDFS = ("ky-russian-font.pdf", "ky-fallback-columns.pdf", "word-fallback.pdf")
FIXTURE_OFFICE = ("ky-office.docx", "ky-office.odt", "ky-office.rtf")


def write_fixtures(dest: Path) -> None:
    """Build the corpus and keep the fixture files, with ``<name>.pdftotext.txt`` (poppler's text) for
    each PDF and ``<name>.libreoffice.txt`` (LibreOffice's text conversion) for each office file."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build(folder)
        for name in FIXTURE_PDFS:
            shutil.copy(folder / name, dest / name)
            text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(folder / name), "-"], capture_output=True,
                                  check=True, timeout=120).stdout.decode("utf-8")
            (dest / f"{name}.pdftotext.txt").write_text(text, encoding="utf-8")
        sources = [folder / name for name in FIXTURE_OFFICE]
        out = folder / "text"
        for source in sources:  # one run per file: the same stem in several formats
            soffice([source], "txt:Text (encoded):UTF8", out)
            shutil.copy(source, dest / source.name)
            text = (out / f"{source.stem}.txt").read_text(encoding="utf-8-sig")
            (dest / f"{source.name}.libreoffice.txt").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1] == "--fixtures":
        write_fixtures(Path(sys.argv[2]))
    else:
        built = build(Path(sys.argv[1]), quick="--quick" in sys.argv)
        for file in built.pdfs + built.office:
            print(file)
