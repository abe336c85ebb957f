"""Render one page of a stored file to PNG, in a process of its own.

Run by ``records.capture.previews`` as ``python -m records.capture.render_page SRC KIND PAGE WIDTH MAX_PIXELS OUT``
under a memory limit and a timeout, so a hostile or broken file can only kill this process. It prints
``{"pages": N}`` on success; exit code 2 means the page does not exist, 3 that the file cannot be read.
Imports only PDFium and Pillow: nothing of the application runs here.
"""
from __future__ import annotations

import json
import os
import sys


def _scale(width_pt: float, height_pt: float, width_px: int, max_pixels: int) -> float:
    """Points to pixels: ``width_px`` wide, shrunk until the page fits ``max_pixels`` (page bombs)."""
    width_pt, height_pt = max(width_pt, 1.0), max(height_pt, 1.0)
    scale = width_px / width_pt
    if width_pt * height_pt * scale * scale > max_pixels:
        scale = (max_pixels / (width_pt * height_pt)) ** 0.5
    return scale


def render_pdf(src: str, page_no: int, width: int, max_pixels: int, out: str) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(src)
    try:
        pages = len(pdf)
        if not 1 <= page_no <= pages:
            raise IndexError(page_no)
        page = pdf[page_no - 1]
        w, h = page.get_size()
        bitmap = page.render(scale=_scale(w, h, width, max_pixels), may_draw_forms=False)
        bitmap.to_pil().convert("RGB").save(out, "PNG", optimize=False)
        return pages
    finally:
        pdf.close()


def render_image(src: str, page_no: int, width: int, max_pixels: int, out: str) -> int:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = max_pixels * 16  # beyond that Pillow refuses: a decompression bomb
    with Image.open(src) as img:
        pages = getattr(img, "n_frames", 1)
        if not 1 <= page_no <= pages:
            raise IndexError(page_no)
        img.seek(page_no - 1)
        frame = ImageOps.exif_transpose(img.convert("RGB"))
        scale = _scale(frame.width, frame.height, min(width, frame.width), max_pixels)
        size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
        frame.resize(size, Image.Resampling.LANCZOS).save(out, "PNG")
        return pages


def _limit_memory() -> None:
    limit = int(os.environ.get("SANDYK_RENDER_MEMORY", "0"))
    if limit:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(argv: list[str]) -> int:
    _limit_memory()
    src, kind, page, width, max_pixels, out = argv
    render = render_pdf if kind == "pdf" else render_image
    try:
        pages = render(src, int(page), int(width), int(max_pixels), out)
    except IndexError:
        return 2
    except Exception as exc:  # any failure to read the file is the same answer: no picture
        print(type(exc).__name__, file=sys.stderr)
        return 3
    print(json.dumps({"pages": pages}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
