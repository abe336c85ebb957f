"""The benchmarks under bench/ keep running: each one on a tiny corpus, checked for every figure it reports.

Nothing here is timed; the figures only have to be there and be numbers.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NUMBER = r"[0-9]+(?:\.[0-9]+)?"

pytestmark = pytest.mark.slow


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ingest_benchmark_reports_every_run_against_its_baselines() -> None:
    out = _run("bench/ingest_bench.py", "--docs", "8", "--ocr-docs", "0")
    assert "Ingest: 8 documents" in out
    for label in ("(a) sha256 + copy", "(b) bare index add, one document per call", "(b) bare index add, 200 per call",
                  "pipeline, index synced after every document", "pipeline, background indexing thread (default)",
                  "pipeline, index synced at the end (import)"):
        assert re.search(rf"^{re.escape(label)} +{NUMBER} +{NUMBER}", out, re.M), label
    assert len(re.findall(rf": x{NUMBER}, (?:met|NOT met)$", out, re.M)) == 4
    # memory at a quarter, half and all of the batch, for each run
    assert len(re.findall(rf"^ +\d+ \( ?(?:1/4|1/2|full)\) +{NUMBER} +{NUMBER} +{NUMBER} +{NUMBER}$", out, re.M)) == 3


def test_search_benchmark_reports_latencies_of_both_engines() -> None:
    out = _run("bench/search_bench.py", "--docs", "60", "--repeat", "1")
    assert re.search(rf"whoosh ingest: +{NUMBER} docs/s .* index {NUMBER} MB, peak RSS {NUMBER} MB", out)
    for engine in ("whoosh", "fts5"):
        for snippets in ("without", "with"):
            assert re.search(rf"{engine} {snippets} snippets +p50 +{NUMBER} ms +p95 +{NUMBER} ms +p99 +{NUMBER} ms",
                             out), (engine, snippets)
    assert "whoosh hits per query kind" in out


def test_postgresql_search_benchmark_compares_every_query_kind(pg_url: str) -> None:
    out = _run("bench/pg_search_bench.py", "--docs", "40", "--repeat", "1", "--plans")
    for kind in ("word", "word-tail", "two-words", "phrase", "prefix", "field-date"):
        assert re.search(rf"^{kind} +{NUMBER} +/ *{NUMBER} +{NUMBER} +/ *{NUMBER} +{NUMBER}x +(?:met|NOT met)$", out,
                         re.M), kind
    assert re.search(rf"worst kind ratio {NUMBER}x: target within 3x (?:met|NOT met)", out)
    assert re.search(r"totals equal on \d+ of 56 queries", out)
    assert out.count("--- plan: ") == 6 and "Execution Time" in out


def test_scaleout_benchmark_runs_two_servers_and_reports_visibility(pg_url: str) -> None:
    out = _run("bench/scaleout_bench.py", "--docs", "30", "--seconds", "2", "--levels", "2", "--think", "0.05",
               "--visibility", "2")
    assert re.search(rf"2 users +search +n= *\d+ +p50 +{NUMBER} ms", out)
    assert re.search(rf"visible through the other server after: median {NUMBER} ms, max {NUMBER} ms \(2 of 2 found\)", out)
    assert len(re.findall(r"^target: .*: (?:met|NOT met)$", out, re.M)) == 2


@pytest.mark.ocr
def test_ocr_benchmark_reports_the_pool_against_direct_tesseract(ocr_ready: None) -> None:
    out = _run("bench/ocr_bench.py", "--pages", "2", "--dpi", "150", "--rounds", "1", "--workers", "2")
    assert "OCR: 2 pages at 150 dpi" in out
    for label in ("(baseline) tesseract directly, one process per core", "product, 2 single-page scans",
                  "product, one 2-page scanned PDF"):
        assert re.search(rf"^{re.escape(label)} +{NUMBER} +{NUMBER} +{NUMBER}$", out, re.M), label
    assert len(re.findall(rf"against the baseline: x{NUMBER} \(target x1.3\): (?:met|NOT met)$", out, re.M)) == 2


def test_fidelity_benchmark_prints_every_figure_against_its_target() -> None:
    missing = [tool for tool in ("soffice", "pdftotext", "fc-match") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the fidelity corpus needs {', '.join(missing)}")
    done = subprocess.run([sys.executable, "bench/fidelity_bench.py", "--quick", "--only", "pdf"], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    out = done.stdout
    figures = re.findall(rf"^\[pdf\] (.+?): {NUMBER} (?:%|words|parts|x) \(target [^)]+\): (met|NOT met)$", out, re.M)
    labels = {label for label, _ in figures}
    for name in ("ky-russian-font.pdf", "ky-default.pdf", "word-fallback.pdf", "reportlab.pdf"):
        assert f"pdf {name}: words found" in labels and f"pdf {name}: words glued" in labels, name
    for name in ("ky-office.docx", "ky-office.odt", "ky-office.rtf"):
        assert any(label.endswith(f"{name}: words found") for label in labels), name
    assert "office headers, footers, footnotes, text boxes found" in labels
    assert "pdf text layer by position, time per page against drawing order" in labels
    missed = sum(verdict == "NOT met" for _, verdict in figures)
    assert f"{len(figures)} figures, {missed} NOT met" in out
    assert done.returncode == (1 if missed else 0), done.stderr
    # Each PDF is also measured with the other candidate readers, against the same reference.
    assert len(re.findall(rf"^  pdfium text range \(before\) +{NUMBER}%  glued", out, re.M)) == 6


def test_reindex_benchmark_reports_every_engine_against_the_targets() -> None:
    out = _run("bench/reindex_bench.py", "--docs", "12", "--batch", "5")
    assert "Reindex: 12 documents" in out and "product said: Indexed 12 document(s)." in out
    engines = ["(a) product: flask index reindex", "(b) SQLite FTS5"]
    try:
        import tantivy  # noqa: F401
    except ImportError:
        assert "tantivy not installed, skipped" in out
    else:
        engines.append("(c) tantivy")
        assert len(re.findall(rf"build time within [35]x of tantivy: x{NUMBER}, (?:met|NOT met)$", out, re.M)) == 2
    for label in engines:
        assert re.search(rf"^{re.escape(label)} +{NUMBER} +{NUMBER} +{NUMBER} +{NUMBER} +{NUMBER}$", out, re.M), label
    assert re.search(rf"^product peak RSS: {NUMBER} MB in its largest process, {NUMBER} MB in all its processes "
                     rf"together \(\d+ building processes\)$", out, re.M)
    assert re.search(rf"^target: index at most 2x the text: x{NUMBER}, (?:met|NOT met)$", out, re.M)
    assert re.search(rf"^target: peak memory under 1024 MB .*: {NUMBER} MB, (?:met|NOT met)$", out, re.M)
