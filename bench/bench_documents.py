"""Documents as files: the one-page PDF against WeasyPrint alone on a minimal page, the ten-page
PDF, UBL writing and warm three-layer validation (docs/performance.md explains each figure).

A worker renders each finalized invoice once (the PDF is stored), so every run renders another
invoice of the same company: another number, amount and QR code, the same logo and
stylesheet. What a worker keeps between renders (porto/documents/rendering/pdf_cache.py) is
warm, as in a worker that has rendered one invoice; ``pdf.one_page_uncached_ms_p50`` renders the
same invoices with that cache emptied before each, to show what it saves, in the same run.
The minimal page is rendered right before each invoice, so the ratio of the two is measured
under the same load; ``pdf.one_page_cpu_ms_p50`` is the CPU time of the same renders, which a
loaded machine inflates far less than the wall-clock time.
"""

import io
import itertools
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench import Result, result_of, timed_once, timed_runs

TEN_PAGE_LINES = 330
CATALOGUE = [("8", "95", "S", "21"), ("2", "1250", "S", "21"), ("12", "21.35", "S", "6")]
MINIMAL_PAGE = "<!DOCTYPE html><html><body><p>Hello</p></body></html>"


def shared_einvoice() -> Path:
    repository = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("PORTO_SHARED_DIR", repository.parent / "shared")) / "einvoice"


def invoices(count: int):
    """``count`` one-page invoices of one company with a logo, and one of ten pages."""
    from bench.data import client_new, company_logo_set, company_new, finalized_new, logo_png

    company = company_new("Bench BV", slug="bench-bv")
    company_logo_set(company, logo_png())
    client = client_new(company, language="nl")
    one_page = [
        finalized_new(company, client, [(str(n + 1), *CATALOGUE[0][1:]), *CATALOGUE[1:]])
        for n in range(count)
    ]
    long_lines = [(str(n % 9 + 1), "10.50", "S", "21") for n in range(TEN_PAGE_LINES)]
    return one_page, finalized_new(company, client, long_lines)


def page_count(content: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def one_page_pdf(documents: list, runs: int) -> list[Result]:
    from weasyprint import HTML

    from porto.documents.rendering import pdf_cache
    from porto.documents.rendering.pdf import render_pdf

    def minimal() -> bytes:
        return HTML(string=MINIMAL_PAGE).write_pdf()

    pending = iter(documents)
    minimal(), render_pdf(next(pending))  # a worker that has rendered once
    baseline, warm, cpu = [], [], []
    for document in itertools.islice(pending, runs):
        baseline.append(timed_once(minimal)[0])
        wall_ms, cpu_ms = timed_once(lambda document=document: render_pdf(document))
        warm.append(wall_ms)
        cpu.append(cpu_ms)
    ratios = [w / b for w, b in zip(warm, baseline, strict=True)]

    def uncached(document) -> bytes:
        pdf_cache.clear()
        return render_pdf(document)

    cold = [timed_runs(lambda d=d: uncached(d), 1, warmup=0)[0] for d in documents[1 : runs + 1]]
    pages = page_count(render_pdf(documents[0]))
    return [
        _with_figures(
            result_of("pdf_minimal_page_weasyprint_alone", baseline),
            {"pdf.minimal_page_ms_p50": baseline},
        ),
        _with_figures(
            result_of(
                "pdf_one_page",
                warm,
                pages=pages,
                ratio_to_minimal_page=round(statistics.median(ratios), 2),
            ),
            {
                "pdf.one_page_ms_p50": warm,
                "pdf.one_page_ratio_to_minimal": ratios,
                "pdf.one_page_cpu_ms_p50": cpu,
            },
        ),
        _with_figures(
            result_of("pdf_one_page_cache_emptied_before_each", cold, pages=pages),
            {"pdf.one_page_uncached_ms_p50": cold},
        ),
    ]


def ten_page_pdf(document, runs: int) -> Result:
    from porto.documents.rendering.pdf import render_pdf

    rendered: list[bytes] = []
    # No warm-up: the one-page renders before it warmed the worker.
    timings = timed_runs(lambda: rendered.append(render_pdf(document)), runs, warmup=0)
    pages = page_count(rendered[-1])
    result = result_of("pdf_ten_pages", timings, pages=pages, lines=TEN_PAGE_LINES)
    return _with_figures(result, {"pdf.ten_pages_ms_p50": timings})


def ubl_generation(documents: list, runs: int) -> Result:
    from porto.documents.rendering.ubl import render_ubl

    cycle = itertools.cycle(documents)
    timings, cpu = wall_and_cpu(lambda: render_ubl(next(cycle)), runs, warmup=3)
    result = result_of("ubl_generation", timings, lines=len(CATALOGUE))
    return _with_figures(result, {"ubl.generate_ms_p50": timings, "ubl.generate_cpu_ms_p50": cpu})


def ubl_validation(documents: list, runs: int) -> list[Result]:
    from porto.documents.rendering import rules, validation
    from porto.documents.rendering.ubl import render_ubl

    source = shared_einvoice()
    if not (source / rules.SUMS_FILE).is_file():
        print(f"  validation skipped: no rules folder at {source} (set PORTO_SHARED_DIR)")
        return []
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "rules"
        rules.install_from_folder(source, target)
        started = time.perf_counter()
        validator = validation.get_validator(target)
        compile_ms = (time.perf_counter() - started) * 1000
        assert validator is not None
        files = itertools.cycle([render_ubl(document) for document in documents[:10]])
        assert validator.validate(next(files)).is_valid
        timings, cpu = wall_and_cpu(lambda: validator.validate(next(files)), runs, warmup=3)
    result = result_of(
        "validation_warm_three_layers",
        timings,
        cold_compile_ms=round(compile_ms),
        release=validator.release,
    )
    return [
        _with_figures(
            result,
            {
                "ubl.validate_warm_ms_p50": timings,
                "ubl.validate_warm_cpu_ms_p50": cpu,
                "ubl.validate_cold_compile_ms": [compile_ms],
            },
        )
    ]


def wall_and_cpu(action, runs: int, warmup: int) -> tuple[list[float], list[float]]:
    for _ in range(warmup):
        action()
    pairs = [timed_once(action) for _ in range(runs)]
    return [wall for wall, _ in pairs], [cpu for _, cpu in pairs]


def _with_figures(result: Result, figures: dict[str, list[float]]) -> Result:
    result.figures = {key: [round(value, 3) for value in values] for key, values in figures.items()}
    return result


def run(runs: int = 20) -> list[Result]:
    one_page, ten_pages = invoices(runs + 1)
    return [
        *one_page_pdf(one_page, runs),
        ten_page_pdf(ten_pages, max(3, runs // 6)),
        ubl_generation(one_page, runs * 3),
        *ubl_validation(one_page, runs * 2),
    ]
