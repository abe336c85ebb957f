"""OCR throughput: the product's OCR pool against tesseract run directly on every core, same pages and languages.

    python bench/ocr_bench.py [--pages 8] [--dpi 300] [--workers N] [--langs kir+rus] [--rounds 2]

Scanned A4 pages (``bench/scans.py``: Kyrgyz and Russian text, turned, noisy, JPEG) are written as
JPEG files and as one scanned PDF holding all of them. Then, on the same machine in the same run:

* baseline: ``tesseract page.png stdout -l LANGS`` run directly, one process per core at a time
  (``OMP_THREAD_LIMIT=1``), over the same pages turned straight as the product turns them before
  OCR (so the ratio is what the pool, rendering and saving add). Tesseract on the turned, noisy
  pages as scanned can take minutes a page; ``--unstraightened`` times that too (once);
* the product, many single-page scans: each JPEG filed as a document of its own through the real
  capture pipeline (not timed), then the background worker's round (``worker.run_once``: claiming,
  OCR in the pool, saving the text, indexing) timed until every scan is searchable;
* the product, one long scan: the PDF filed as one document, its pages read in parallel, timed the same way.

Both sides run tesseract at the same scheduling priority (the product's OCR processes are niced, so
the baseline is too: other load on the machine then weighs on both alike). Rounds alternate baseline
and product and the fastest time of each counts. Target: the product within 1.3x of the baseline.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from bench.scans import make_scans  # noqa: E402

TARGET = 1.3


def write_pages(folder: Path, count: int, dpi: int) -> tuple[list[Path], list[Path], Path]:
    """``count`` scanned pages as JPEG files, the same pages turned straight as the product turns them
    before OCR (PNG), and one PDF holding them all."""
    from records.capture.intake.ocr import prepare

    scans = []
    while len(scans) < count:
        scans.extend(make_scans(dpis=(dpi,), seed=len(scans) + 7))
    images = [scan.image for scan in scans[:count]]
    paths = []
    for number, image in enumerate(images):
        path = folder / f"page-{number:03d}.jpg"
        image.save(path, "JPEG", quality=85, dpi=(dpi, dpi))
        paths.append(path)
    straight = []
    for number, path in enumerate(paths):
        with Image.open(path) as scan:
            target = folder / f"straight-{number:03d}.png"
            prepare(scan).save(target, "PNG", dpi=(dpi, dpi))
        straight.append(target)
    pdf = folder / "scan.pdf"
    images[0].save(pdf, "PDF", save_all=True, append_images=images[1:], resolution=float(dpi))
    return paths, straight, pdf


def direct(pages: list[Path], langs: str, dpi: int, workers: int, timeout: float | None = None) -> float:
    """Seconds for tesseract alone over the pages, ``workers`` processes at a time (a page over
    ``timeout`` is stopped there, as the product stops it)."""
    from records.capture.intake.ocr import NICENESS

    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    nice = shutil.which("nice")

    def read(path: Path) -> None:
        command = ["tesseract", str(path), "stdout", "-l", langs, "--dpi", str(dpi)]
        if nice:
            command = [nice, "-n", str(NICENESS), *command]
        try:
            subprocess.run(command, env=env, capture_output=True, check=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"  tesseract stopped after {timeout:.0f} s on {path.name}", file=sys.stderr)

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as executor:
        list(executor.map(read, pages))
    return time.perf_counter() - start


def product(files: list[Path], langs: str, dpi: int, workers: int, folder: Path) -> float:
    """Seconds for the product's background worker to read the filed scans and index them."""
    from sqlalchemy import select

    from app import create_app
    from records import worker
    from records.capture import documents
    from records.cli import setup_data
    from records.db import session_scope
    from records.models import DocType, Document, TextStatus

    data = folder / f"data-{time.monotonic_ns()}"
    app = create_app({"DATA_DIR": str(data), "SECRET_KEY": "bench", "WORKER": "off", "OCR_LANGS": langs,
                      "OCR_WORKERS": workers, "ADMIN_PASSWORD": "bench-password-1"})
    with app.app_context():
        setup_data(app, echo=False)
        year = time.localtime().tm_year
        for number, path in enumerate(files):
            with session_scope(app) as session, path.open("rb") as stream:
                meta = documents.validate_metadata({"doc_type": DocType.OTHER, "title": f"Скан {number}"})
                documents.file_document(app, session, year=year, index="12-4-7", meta=meta,
                                        upload=documents.Upload(stream, path.name), actor=None)
        start = time.perf_counter()
        worker.run_once(app)
        elapsed = time.perf_counter() - start
        with session_scope(app) as session:
            states = list(session.scalars(select(Document.text_status)))
        assert states and all(state == TextStatus.DONE for state in states), states
    from records.db import get_database

    get_database(app).dispose()
    shutil.rmtree(data, ignore_errors=True)
    return elapsed


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_of(rounds: int, runs: dict[str, Callable[[], float]]) -> dict[str, tuple[float, float]]:
    """Fastest time of each run over ``rounds`` rounds, the runs alternating within a round, with the
    CPU seconds its tesseract processes used (which other load on the machine does not change)."""
    best = {name: (float("inf"), 0.0) for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            cpu = _cpu_of_children()
            seconds = run()
            if seconds < best[name][0]:
                best[name] = (seconds, _cpu_of_children() - cpu)
    return best


def main() -> None:
    from records.capture.intake.ocr import DEFAULT_LANGS, default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--workers", type=int, default=default_workers(), help="default: one per core")
    parser.add_argument("--langs", default=DEFAULT_LANGS)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--unstraightened", action="store_true",
                        help="also time tesseract on the pages as scanned, not turned straight (slow: once, "
                             "120 s at most per page)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sandyk-ocr-bench-") as tmp:
        folder = Path(tmp)
        pages, straight, pdf = write_pages(folder, args.pages, args.dpi)
        runs = {
            "direct": lambda: direct(straight, args.langs, args.dpi, args.workers),
            "scans": lambda: product(pages, args.langs, args.dpi, args.workers, folder),
            "pdf": lambda: product([pdf], args.langs, args.dpi, args.workers, folder),
        }
        best = best_of(args.rounds, runs)
        if args.unstraightened:
            best.update(best_of(1, {"raw": lambda: direct(pages, args.langs, args.dpi, args.workers, 120)}))
    print(f"OCR: {args.pages} pages at {args.dpi} dpi, languages {args.langs}, {args.workers} workers, "
          f"best of {args.rounds} rounds")
    print(f"{'run':<58} {'seconds':>8} {'pages/min':>10} {'OCR CPU s/page':>15}")
    labels = {"direct": "(baseline) tesseract directly, one process per core",
              "raw": "tesseract directly on the pages not turned straight",
              "scans": f"product, {args.pages} single-page scans", "pdf": f"product, one {args.pages}-page scanned PDF"}
    for name, (seconds, cpu) in best.items():
        print(f"{labels[name]:<58} {seconds:8.1f} {60 * args.pages / seconds:10.1f} {cpu / args.pages:15.2f}")
    for name in ("scans", "pdf"):
        ratio = best[name][0] / best["direct"][0]
        print(f"{labels[name]} against the baseline: x{ratio:.2f} (target x{TARGET:g}): "
              f"{'met' if ratio <= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
