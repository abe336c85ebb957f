"""What a file is, judged from its bytes; the file name only serves to catch a lie.

libmagic gives the first answer. Containers need a look inside: an Office
Open XML or OpenDocument file is a zip whose members tell the format, and an
old Word or Excel file is an OLE compound file whose streams do.
"""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path, PurePath

import magic
import olefile

from records.capture.intake.base import refuse

# The usual MIME type of each kind, reported in FileCheck.mime.
KIND_MIME: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "rtf": "text/rtf",
    "txt": "text/plain",
    "html": "text/html",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tiff": "image/tiff",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "webp": "image/webp",
    "zip": "application/zip",
    "exe": "application/x-executable",
}

_MIME_KIND: dict[str, str] = {mime: kind for kind, mime in KIND_MIME.items()} | {
    "application/rtf": "rtf",
    "application/xhtml+xml": "html",
    "image/x-ms-bmp": "bmp",
    "application/vnd.microsoft.portable-executable": "exe",
    "application/x-dosexec": "exe",
    "application/x-msdownload": "exe",
    "application/x-sharedlib": "exe",
    "application/x-pie-executable": "exe",
    "application/x-mach-binary": "exe",
    "application/x-executable": "exe",
}

_ZIP_MIMES = frozenset(
    {"application/zip", "application/x-zip-compressed", "application/java-archive"}
    | {KIND_MIME[k] for k in ("docx", "xlsx", "pptx", "odt", "ods", "odp")}
)
_OLE_MIMES = frozenset(
    {
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.ms-office",
        "application/x-ole-storage",
        "application/CDFV2",
        "application/cdfv2",
        "application/encrypted",
    }
)

# Extensions people give files, mapped to the kind the name claims.
EXTENSION_KIND: dict[str, str] = {
    "pdf": "pdf",
    "docx": "docx",
    "docm": "docx",
    "dotx": "docx",
    "doc": "doc",
    "dot": "doc",
    "odt": "odt",
    "rtf": "rtf",
    "txt": "txt",
    "text": "txt",
    "xlsx": "xlsx",
    "xlsm": "xlsx",
    "xls": "xls",
    "ods": "ods",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "jpe": "jpeg",
    "png": "png",
    "tif": "tiff",
    "tiff": "tiff",
    "htm": "html",
    "html": "html",
    "xhtml": "html",
    "gif": "gif",
    "bmp": "bmp",
    "webp": "webp",
    "zip": "zip",
    "pptx": "pptx",
    "ppt": "ppt",
    "odp": "odp",
    "exe": "exe",
    "dll": "exe",
    "com": "exe",
    "scr": "exe",
    "msi": "exe",
}

_ODF_MIMETYPE_KIND = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}


def kind_from_filename(filename: str) -> str | None:
    """The kind a file name claims, or None when its extension is missing or unknown."""
    suffix = PurePath(filename.strip().replace("\\", "/")).suffix.lower().lstrip(".")
    return EXTENSION_KIND.get(suffix)


def sniff(path: Path) -> tuple[str, str]:
    """Return ``(kind, mime)`` from the file's bytes; ``kind`` may be one the office does not accept.

    Raises Refusal("damaged") for a container that cannot be opened and
    Refusal("encrypted") for a password-protected Office file.
    """
    # libmagic may add a remark after a comma ("application/x-executable, no program header").
    mime = magic.from_file(str(path), mime=True).split(",", 1)[0].strip()
    if mime in _ZIP_MIMES or (mime == "application/octet-stream" and _starts_with(path, b"PK\x03\x04")):
        kind = zip_kind(path)
    elif mime in _OLE_MIMES or _starts_with(path, olefile.MAGIC):
        kind = ole_kind(path)
    else:
        kind = _MIME_KIND.get(mime, mime)
    return kind, KIND_MIME.get(kind, mime)


def zip_kind(path: Path) -> str:
    """docx, xlsx, pptx, odt, ods, odp or plain zip, from the members of a zip file."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                types = _read_head(archive, "[Content_Types].xml", 2**20)
                if b"wordprocessingml.document.main+xml" in types or b"ms-word.document.macroEnabled" in types:
                    return "docx"
                if b"spreadsheetml.sheet.main+xml" in types or b"ms-excel.sheet.macroEnabled" in types:
                    return "xlsx"
                if b"presentationml" in types or b"ms-powerpoint" in types:
                    return "pptx"
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
            if "mimetype" in names:
                declared = _read_head(archive, "mimetype", 200).strip()
                return _ODF_MIMETYPE_KIND.get(declared, "zip")
    except RuntimeError as exc:  # zipfile's way of saying a member is password-protected
        raise refuse("encrypted") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise refuse("damaged") from exc
    return "zip"


def ole_kind(path: Path) -> str:
    """doc, xls, ppt or a generic "ole", from the streams of an OLE compound file."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
    except (OSError, ValueError, IndexError, struct.error) as exc:
        raise refuse("damaged") from exc
    # Password-protected DOCX/XLSX are stored as an OLE wrapper around the encrypted package.
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        raise refuse("encrypted")
    if "WordDocument" in streams:
        return "doc"
    if "Workbook" in streams or "Book" in streams:
        return "xls"
    if "PowerPoint Document" in streams:
        return "ppt"
    return "ole"


def _read_head(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(name) as member:
        return member.read(limit)


def _starts_with(path: Path, signature: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(signature)) == signature

