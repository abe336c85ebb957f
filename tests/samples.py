"""Sample files of every type the records office receives, generated at test time.

Each ``make_<kind>(dir, ...)`` writes one file into ``dir`` and returns its
path. Besides well-formed documents in Kyrgyz and Russian there are hostile
and broken ones (bombs, macros, entities, lies about the type) so intake,
storage and search tests can all use the same material. Nothing here touches
the network or needs programs beyond Python packages; formats without a
Python writer (DOC, XLS) are assembled byte by byte.
"""
from __future__ import annotations

import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

KY_TEXT = (
    "Кафедранын отурумунун протоколу. "
    "Өндүрүштүк практика боюнча келишимдер ишканалар менен түзүлдү. "
    "Жаңы окуу жылынын планы бекитилди."
)
RU_TEXT = (
    "Протокол заседания кафедры. "
    "Договор о практике с горнодобывающим предприятием утверждён. "
    "Ещё один приказ о зачёте."
)
# Words a round trip must bring back: Kyrgyz letters ө ү ң and Russian ё included.
KY_WORDS = ("Кафедранын", "Өндүрүштүк", "келишимдер", "түзүлдү", "Жаңы")
RU_WORDS = ("Протокол", "заседания", "утверждён", "Ещё", "зачёте")
TEXT = KY_TEXT + "\n" + RU_TEXT
WORDS = KY_WORDS + RU_WORDS


# --- well-formed documents -------------------------------------------------


def make_txt(dir: Path, text: str | None = None, encoding: str = "utf-8", name: str | None = None) -> Path:
    """Plain text in utf-8, utf-8-sig, utf-16 (with BOM) or cp1251.

    cp1251 has no ө ү ң, so its default text is the Russian sentence only.
    """
    if text is None:
        text = RU_TEXT if encoding.replace("-", "").lower() == "cp1251" else TEXT
    path = Path(dir) / (name or f"text-{encoding}.txt")
    path.write_bytes(text.encode(encoding))
    return path


def make_text_pdf(
    dir: Path, text: str = TEXT, pages: int = 1, name: str = "text.pdf"
) -> Path:
    """A PDF with a real text layer (DejaVu embedded), ``text`` on every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", FONT_PATH))
    path = Path(dir) / name
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number in range(pages):
        pdf.setFont("DejaVuSans", 11)
        y = 800.0
        for line in text.splitlines():
            for chunk in _wrap(line, 80):
                pdf.drawString(50, y, chunk)
                y -= 16
        pdf.drawString(50, 40, f"{number + 1}")
        pdf.showPage()
    pdf.save()
    return path


def make_scanned_pdf(
    dir: Path, text: str = KY_TEXT, pages: int = 1, name: str = "scan.pdf", dpi: int = 300
) -> Path:
    """A PDF made of page images only (no text layer), as a scanner produces."""
    images = [render_page(text, dpi=dpi) for _ in range(pages)]
    path = Path(dir) / name
    images[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    return path


def make_docx(dir: Path, text: str = TEXT, table: Sequence[Sequence[str]] = (), name: str = "doc.docx") -> Path:
    """A Word document: one paragraph per line of ``text`` plus an optional table."""
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    path = Path(dir) / name
    document.save(str(path))
    return path


def make_odt(dir: Path, text: str = TEXT, name: str = "doc.odt") -> Path:
    """An OpenDocument text, one paragraph per line."""
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    for line in text.splitlines():
        document.text.addElement(P(text=line))
    path = Path(dir) / name
    document.save(str(path))
    return path


def make_ods(dir: Path, rows: Sequence[Sequence[str]] | None = None, name: str = "sheet.ods") -> Path:
    """An OpenDocument spreadsheet with string cells."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    sheet = Table(name="Лист1")
    for row in rows if rows is not None else _rows():
        table_row = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            table_row.addElement(cell)
        sheet.addElement(table_row)
    document.spreadsheet.addElement(sheet)
    path = Path(dir) / name
    document.save(str(path))
    return path


def make_xlsx(dir: Path, rows: Sequence[Sequence[object]] | None = None, name: str = "sheet.xlsx") -> Path:
    """An Excel 2007+ workbook."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Лист1"
    for row in rows if rows is not None else _rows():
        sheet.append(list(row))
    path = Path(dir) / name
    book.save(str(path))
    return path


def make_xls(dir: Path, rows: Sequence[Sequence[str]] | None = None, name: str = "sheet.xls") -> Path:
    """An Excel 97 (BIFF8) workbook with one sheet of string cells, written by hand."""
    path = Path(dir) / name
    path.write_bytes(ole_container({"Workbook": _biff8_workbook(rows if rows is not None else _rows())}))
    return path


def make_doc(dir: Path, text: str = TEXT, name: str = "doc.doc", encrypted: bool = False) -> Path:
    """A minimal Word 97 document (one non-complex text run in UTF-16), written by hand."""
    path = Path(dir) / name
    path.write_bytes(ole_container(_word_streams(text, encrypted=encrypted)))
    return path


def make_rtf(dir: Path, text: str = TEXT, name: str = "doc.rtf") -> Path:
    r"""RTF as Russian Word writes it: cp1251 ``\'xx`` escapes, ``\u`` for letters outside cp1251."""
    body = []
    for line in text.splitlines():
        out = []
        for char in line:
            if char in "\\{}":
                out.append("\\" + char)
            elif ord(char) < 128:
                out.append(char)
            else:
                try:
                    out.append("\\'%02x" % char.encode("cp1251")[0])
                except UnicodeEncodeError:
                    out.append("\\u%d?" % ord(char))
        body.append("".join(out) + "\\par\n")
    rtf = (
        "{\\rtf1\\ansi\\ansicpg1251\\deff0{\\fonttbl{\\f0\\fswiss\\fcharset204 Arial;}}\n"
        "\\uc1\\pard\\f0\\fs24 " + "".join(body) + "}\n"
    )
    path = Path(dir) / name
    path.write_bytes(rtf.encode("ascii"))
    return path


def make_scan_image(dir: Path, text: str = KY_TEXT, fmt: str = "png", dpi: int = 300, name: str | None = None) -> Path:
    """One scanned page as PNG, JPEG or TIFF."""
    path = Path(dir) / (name or f"scan.{ 'jpg' if fmt == 'jpeg' else fmt }")
    render_page(text, dpi=dpi).save(path, fmt.upper(), dpi=(dpi, dpi))
    return path


def make_tiff(dir: Path, texts: Sequence[str] = (KY_TEXT, RU_TEXT), dpi: int = 300, name: str = "scan.tiff") -> Path:
    """A multi-page TIFF, one scanned page per text (group 4 fax compression, as scanners write)."""
    pages = [render_page(t, dpi=dpi).convert("1") for t in texts]
    path = Path(dir) / name
    pages[0].save(path, "TIFF", save_all=True, append_images=pages[1:], compression="group4", dpi=(dpi, dpi))
    return path


def make_blank_scan(dir: Path, fmt: str = "png", name: str | None = None) -> Path:
    """A white page with nothing on it."""
    path = Path(dir) / (name or f"blank.{fmt}")
    Image.new("L", (1240, 1754), 255).save(path, fmt.upper(), dpi=(150, 150))
    return path


def render_page(text: str, dpi: int = 300, font_px: int | None = None) -> Image.Image:
    """Render ``text`` on a white A4-proportioned page, large and clear, like a clean scan."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    size = font_px or int(dpi * 0.2)  # about 14 pt: big enough for reliable OCR
    font = ImageFont.truetype(FONT_PATH, size)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    y = int(dpi * 0.8)
    chars_per_line = max(10, int((width - 2 * dpi * 0.8) / (size * 0.6)))
    for paragraph in text.replace(". ", ".\n").splitlines():
        for line in _wrap(paragraph, chars_per_line):
            draw.text((int(dpi * 0.8), y), line, font=font, fill=0)
            y += int(size * 1.6)
    return page


# --- hostile and broken files ----------------------------------------------


def make_empty(dir: Path, name: str = "empty.pdf") -> Path:
    path = Path(dir) / name
    path.write_bytes(b"")
    return path


def make_exe_as_pdf(dir: Path, name: str = "invoice.pdf") -> Path:
    """A Windows PE executable header under a PDF name."""
    stub = bytearray(512)
    stub[0:2] = b"MZ"
    struct.pack_into("<I", stub, 0x3C, 0x80)
    stub[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<HH", stub, 0x84, 0x14C, 1)  # i386, one section
    path = Path(dir) / name
    path.write_bytes(bytes(stub) + b"This program cannot be run in DOS mode.\r\n" * 8)
    return path


def make_elf_as_pdf(dir: Path, name: str = "report.pdf") -> Path:
    """A Linux ELF executable header under a PDF name."""
    header = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHI", 2, 0x3E, 1) + b"\0" * 40
    path = Path(dir) / name
    path.write_bytes(header + b"\0" * 512)
    return path


def make_html_as_txt(dir: Path, name: str = "notes.txt") -> Path:
    path = Path(dir) / name
    path.write_text(
        "<!DOCTYPE html>\n<html><head><title>Протокол</title></head>\n"
        "<body><script>document.location='http://example.invalid/'</script>"
        "<p>Кафедранын протоколу</p></body></html>\n",
        encoding="utf-8",
    )
    return path


def make_png_as_pdf(dir: Path, name: str = "lie.pdf") -> Path:
    """A genuine PNG scan whose name claims PDF."""
    path = Path(dir) / name
    render_page("Протокол", dpi=50).save(path, "PNG")
    return path


def make_truncated_pdf(dir: Path, name: str = "truncated.pdf") -> Path:
    """A text PDF cut off halfway, as an interrupted upload leaves it."""
    source = make_text_pdf(dir, pages=3, name="_whole.pdf")
    data = source.read_bytes()
    source.unlink()
    path = Path(dir) / name
    path.write_bytes(data[: len(data) // 2])
    return path


def make_broken_zip(dir: Path, name: str = "broken.docx") -> Path:
    """A DOCX whose central directory is cut away."""
    source = make_docx(dir, name="_whole.docx")
    data = source.read_bytes()
    source.unlink()
    path = Path(dir) / name
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


def make_corrupt_image(dir: Path, name: str = "corrupt.png") -> Path:
    """A PNG header followed by garbage."""
    path = Path(dir) / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\xff" * 200)
    return path


def make_encrypted_pdf(dir: Path, name: str = "secret.pdf", user_password: str = "secret") -> Path:
    """A text PDF that needs a password to open (or none, when ``user_password`` is empty)."""
    from pypdf import PdfReader, PdfWriter

    source = make_text_pdf(dir, name="_plain.pdf")
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=user_password, owner_password="owner-only", algorithm="AES-256")
    source.unlink()
    path = Path(dir) / name
    with path.open("wb") as out:
        writer.write(out)
    return path


def make_js_pdf(dir: Path, name: str = "script.pdf") -> Path:
    """A text PDF with a document-level JavaScript action."""
    from pypdf import PdfReader, PdfWriter

    source = make_text_pdf(dir, name="_plain.pdf")
    writer = PdfWriter(clone_from=PdfReader(source))
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    # A document-level script in the /Names /JavaScript tree, as authoring tools write it.
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('Кафедра');")}
    )
    names = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("open"), writer._add_object(action)])}
    )
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): writer._add_object(names)})
    source.unlink()
    path = Path(dir) / name
    with path.open("wb") as out:
        writer.write(out)
    return path


def make_pdf_with_attachment(dir: Path, name: str = "attached.pdf") -> Path:
    """A text PDF carrying an embedded file (an executable, as attackers prefer)."""
    from pypdf import PdfReader, PdfWriter

    source = make_text_pdf(dir, name="_plain.pdf")
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.add_attachment("setup.exe", b"MZ" + b"\0" * 100)
    source.unlink()
    path = Path(dir) / name
    with path.open("wb") as out:
        writer.write(out)
    return path


def make_zip_bomb_docx(dir: Path, inflated_mib: int = 64, name: str = "bomb.docx") -> Path:
    """A DOCX whose extra part inflates ``inflated_mib`` MiB of zeros from a few kilobytes."""
    path = make_docx(dir, name=name)
    chunk = b"\0" * 2**20
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("word/media/padding.bin", "w", force_zip64=True) as member:
            for _ in range(inflated_mib):
                member.write(chunk)
    return path


def make_many_members_docx(dir: Path, members: int = 200, name: str = "many.docx") -> Path:
    """A DOCX with many tiny extra parts."""
    path = make_docx(dir, name=name)
    with zipfile.ZipFile(path, "a") as archive:
        for number in range(members):
            archive.writestr(f"customXml/item{number}.txt", b"x")
    return path


def make_macro_docx(dir: Path, name: str = "macro.docx") -> Path:
    """A DOCX carrying a VBA project."""
    return _docx_with_part(dir, name, "word/vbaProject.bin", ole_container({"VBA": b"Attribute VB_Name" * 300}))


def make_docx_with_exe(dir: Path, name: str = "payload.docx", member: str = "word/embeddings/update.exe") -> Path:
    """A DOCX with a Windows executable packed inside."""
    stub = make_exe_as_pdf(dir, name="_stub")
    data = stub.read_bytes()
    stub.unlink()
    return _docx_with_part(dir, name, member, data)


def make_odt_with_macro(dir: Path, name: str = "macro.odt") -> Path:
    """An ODT with a LibreOffice Basic module."""
    path = make_odt(dir, name=name)
    module = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
        'script:language="StarBasic">Sub Main\n Shell("cmd.exe")\nEnd Sub</script:module>'
    )
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("Basic/Standard/Module1.xml", module)
    return path


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)
    )
    + ']>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"
)


def make_billion_laughs_docx(dir: Path, name: str = "laughs.docx") -> Path:
    """A DOCX whose main part is the billion-laughs entity expansion."""
    return _docx_with_part(dir, name, "word/document.xml", BILLION_LAUGHS.encode(), replace=True)


def make_external_entity_docx(dir: Path, name: str = "xxe.docx") -> Path:
    """A DOCX whose main part pulls in /etc/passwd through an external entity."""
    return _docx_with_part(dir, name, "word/document.xml", EXTERNAL_ENTITY.encode(), replace=True)


def make_billion_laughs_odt(dir: Path, name: str = "laughs.odt") -> Path:
    """An ODT whose content.xml is the billion-laughs entity expansion."""
    path = make_odt(dir, name="_plain.odt")
    out = Path(dir) / name
    _rewrite_zip(path, out, {"content.xml": BILLION_LAUGHS.encode()})
    path.unlink()
    return out


def make_encrypted_doc(dir: Path, name: str = "secret.doc") -> Path:
    """A Word 97 document flagged as password-protected."""
    return make_doc(dir, name=name, encrypted=True)


def make_encrypted_docx(dir: Path, name: str = "secret.docx") -> Path:
    """A password-protected DOCX: Office wraps it in an OLE container with EncryptionInfo."""
    path = Path(dir) / name
    path.write_bytes(
        ole_container({"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"\0" * 4100,
                       "EncryptedPackage": b"\x07" * 4200})
    )
    return path


# --- helpers ---------------------------------------------------------------


def _rows() -> list[list[str]]:
    return [
        ["Индекс", "Иштин аталышы", "Сактоо мөөнөтү"],
        ["12-4-7", "Кафедранын отурумунун протоколдору", "Туруктуу"],
        ["12-4-9", "Өндүрүштүк практика боюнча келишимдер", "5 лет ЭПК"],
        ["12-4-11", "Приказы, утверждён план, ещё зачёте", "Жаңы"],
    ]


def _wrap(line: str, width: int) -> list[str]:
    words, lines, current = line.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines or [""]


def make_docx_with_broken_body(dir: Path, name: str = "cut.docx") -> Path:
    """A DOCX whose main document part breaks off mid-element (its XML prolog is fine)."""
    cut = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Протокол"
    )
    return _docx_with_part(dir, name, "word/document.xml", cut.encode(), replace=True)


def make_docx_template(dir: Path, name: str = "form.docx") -> Path:
    """A Word template (.dotx content type) under a .docx name: not a document python-docx opens."""
    path = make_docx(dir, name="_plain.docx")
    with zipfile.ZipFile(path) as archive:
        types = archive.read("[Content_Types].xml").replace(
            b"wordprocessingml.document.main+xml", b"wordprocessingml.template.main+xml")
    out = Path(dir) / name
    _rewrite_zip(path, out, {"[Content_Types].xml": types})
    path.unlink()
    return out


def make_docx_with_headers(dir: Path, name: str = "headers.docx") -> Path:
    """A DOCX of two sections: the first with its own header and footer, the second with its own header
    only (its footer is linked to the first one's)."""
    import docx
    from docx.enum.section import WD_SECTION

    document = docx.Document()
    document.add_paragraph("Биринчи бөлүм")
    first = document.sections[0]
    first.header.paragraphs[0].text = "Кафедранын баш жазуусу"
    first.footer.paragraphs[0].text = "Подвал документа"
    second = document.add_section(WD_SECTION.NEW_PAGE)
    document.add_paragraph("Экинчи бөлүм")
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "Второй колонтитул"
    path = Path(dir) / name
    document.save(str(path))
    return path


def make_docx_with_broken_header(dir: Path, name: str = "cut-header.docx") -> Path:
    """A DOCX whose first section's header part breaks off mid-element (its XML prolog is fine)."""
    source = make_docx_with_headers(dir, name="_headers.docx")
    cut = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:r><w:t>Кафедра'
    )
    out = Path(dir) / name
    _rewrite_zip(source, out, {"word/header1.xml": cut.encode()})
    source.unlink()
    return out


def _docx_with_part(dir: Path, name: str, member: str, data: bytes, replace: bool = False) -> Path:
    source = make_docx(dir, name="_plain.docx")
    out = Path(dir) / name
    if replace:
        _rewrite_zip(source, out, {member: data})
    else:
        out.write_bytes(source.read_bytes())
        with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(member, data)
    source.unlink()
    return out


def _rewrite_zip(source: Path, out: Path, replacements: dict[str, bytes]) -> None:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = replacements.get(info.filename, None)
            dst.writestr(info, data if data is not None else src.read(info.filename))


_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def ole_container(streams: dict[str, bytes]) -> bytes:
    """A version 3 compound file holding ``streams`` in the root storage.

    Streams are padded to 4096 bytes so they all live in regular sectors and
    no mini stream is needed.
    """
    sector = 512
    data_sectors: list[bytes] = []
    entries: list[tuple[str, int, int]] = []  # name, start sector, size
    for name, payload in streams.items():
        payload = payload.ljust(4096, b"\0")
        padded = payload.ljust(-(-len(payload) // sector) * sector, b"\0")
        entries.append((name, len(data_sectors), len(payload)))
        data_sectors += [padded[i : i + sector] for i in range(0, len(padded), sector)]

    directory = _ole_dir_entry("Root Entry", 5, child=1 if entries else _NOSTREAM, start=_END, size=0)
    for index, (name, start, size) in enumerate(entries, start=1):
        right = index + 1 if index < len(entries) else _NOSTREAM
        directory += _ole_dir_entry(name, 2, right=right, start=start, size=size)
    while len(directory) % sector:
        directory += _ole_dir_entry("", 0)
    dir_start = len(data_sectors)
    dir_count = len(directory) // sector

    used = dir_start + dir_count
    fat_count = 1
    while (used + fat_count) > fat_count * (sector // 4):
        fat_count += 1
    fat = [_FREE] * (fat_count * sector // 4)
    for _, start, size in entries:
        count = -(-size // sector)
        for i in range(count):
            fat[start + i] = start + i + 1 if i < count - 1 else _END
    for i in range(dir_count):
        fat[dir_start + i] = dir_start + i + 1 if i < dir_count - 1 else _END
    fat_start = used
    for i in range(fat_count):
        fat[fat_start + i] = _FATSECT
    difat = [fat_start + i for i in range(fat_count)] + [_FREE] * (109 - fat_count)

    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, fat_count, dir_start, 0, 4096, _END, 0, _END, 0)
    header += struct.pack("<109I", *difat)
    body = b"".join(data_sectors) + directory + struct.pack(f"<{len(fat)}I", *fat)
    return header + body


def _ole_dir_entry(
    name: str, kind: int, right: int = _NOSTREAM, child: int = _NOSTREAM, start: int = 0, size: int = 0
) -> bytes:
    encoded = name.encode("utf-16-le")
    raw = encoded.ljust(64, b"\0")
    name_len = len(encoded) + 2 if name else 0
    entry = raw + struct.pack("<HBB", name_len, kind, 1 if kind else 0)
    entry += struct.pack("<III", _NOSTREAM, right, child)
    entry += b"\0" * 16 + b"\0" * 4 + b"\0" * 16
    entry += struct.pack("<IIi", start, size, 0)
    return entry


def _word_streams(text: str, encrypted: bool = False) -> dict[str, bytes]:
    """WordDocument + 1Table streams of a Word 97 file whose text is one UTF-16 run."""
    body = (text.replace("\n", "\r") + "\r").encode("utf-16-le")
    text_start = 0x800
    fib = bytearray(text_start)
    struct.pack_into("<HH", fib, 0, 0xA5EC, 0x00C1)  # wIdent, nFib (Word 97)
    flags = 0x0200 | 0x1000 | (0x0100 if encrypted else 0)  # 1Table, fExtChar, fEncrypted
    struct.pack_into("<H", fib, 0x0A, flags)
    struct.pack_into("<H", fib, 0x0C, 0x00BF)  # nFibBack
    struct.pack_into("<II", fib, 0x18, text_start, text_start + len(body))  # fcMin, fcMac
    struct.pack_into("<H", fib, 0x20, 32)  # csw
    struct.pack_into("<H", fib, 0x5E, 22)  # cslw
    struct.pack_into("<I", fib, 0x4C, len(body) // 2)  # ccpText
    word = bytes(fib) + body
    # The piece table: one piece covering all text, stored uncompressed (UTF-16).
    cps = struct.pack("<II", 0, len(body) // 2)
    pcd = struct.pack("<HIH", 0, text_start, 0)
    plc = cps + pcd
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    table = clx
    return {"WordDocument": word, "1Table": table}


def _biff8_workbook(rows: Sequence[Sequence[str]]) -> bytes:
    def record(kind: int, payload: bytes) -> bytes:
        return struct.pack("<HH", kind, len(payload)) + payload

    def bof(kind: int) -> bytes:
        return record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x06))

    sheet_name = "Лист1".encode("utf-16-le")
    width = max((len(r) for r in rows), default=0)
    cells = b""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            encoded = value.encode("utf-16-le")
            cells += record(0x0204, struct.pack("<HHHHB", r, c, 0, len(value), 1) + encoded)
    sheet = (
        bof(0x0010)
        + record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
        + cells
        + record(0x000A, b"")
    )

    def globals_(sheet_offset: int) -> bytes:
        boundsheet = struct.pack("<IHBB", sheet_offset, 0, len("Лист1"), 1) + sheet_name
        return bof(0x0005) + record(0x0042, struct.pack("<H", 1200)) + record(0x0085, boundsheet) + record(0x000A, b"")

    head = globals_(0)
    return globals_(len(head)) + sheet


def make_huge_xml_docx(dir: Path, xml_mib: int, name: str = "huge.docx") -> Path:
    """A DOCX whose body is ``xml_mib`` MiB of XML, every paragraph different enough that the package
    stays under the zip ratio limit (the kind of upload that once took minutes and gigabytes to read)."""
    import random

    rng = random.Random(xml_mib)
    words = [w for w in (KY_TEXT + " " + RU_TEXT).replace(".", "").split() if w]
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>').encode()
    tail = b"</w:body></w:document>"
    # Paragraphs of styled runs, each with a number of its own: about 40 times smaller packed, within
    # the ratio limit; one 4 MiB block of them, repeated far beyond deflate's 32 KiB window.
    paragraphs = []
    size = 0
    while size < 4 * 2**20:
        runs = "".join(f'<w:r><w:rPr><w:lang w:val="ky-KG"/></w:rPr><w:t xml:space="preserve">{rng.choice(words)} '
                       f"{rng.randrange(100)} </w:t></w:r>" for _ in range(6))
        paragraph = f'<w:p><w:pPr><w:pStyle w:val="Normal"/></w:pPr>{runs}</w:p>'.encode()
        paragraphs.append(paragraph)
        size += len(paragraph)
    block = b"".join(paragraphs)
    source = make_docx(dir, name="_plain.docx")
    out = Path(dir) / name
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                dst.writestr(info, src.read(info.filename))
        info = zipfile.ZipInfo("word/document.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as member:
            member.write(head)
            for _ in range(max(1, xml_mib * 2**20 // len(block))):
                member.write(block)
            member.write(tail)
    source.unlink()
    return out


def make_font_only_pdf(dir: Path, pages: int = 300, name: str = "fonts-only.pdf") -> Path:
    """A PDF whose pages carry a font resource but no text in their layer (as some scanners write
    them, with the picture and an empty font): its text can only come from OCR."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = Path(dir) / name
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for number in range(pages):
        pdf.setFont("Helvetica", 11)
        pdf.drawString(50, 800, " ")  # the font is used, no letter is written
        pdf.rect(50, 100 + number % 7, 400, 600)
        pdf.showPage()
    pdf.save()
    return path
