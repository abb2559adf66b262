"""Documents as files: PDF rendering (one page, ten pages), UBL writing, warm validation."""

import io
import os
import tempfile
import time
from pathlib import Path

from bench import Result, measure

TEN_PAGE_LINES = 330


def shared_einvoice() -> Path:
    repository = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("PORTO_SHARED_DIR", repository.parent / "shared")) / "einvoice"


def documents():
    from bench.data import client_new, company_new, finalized_new

    company = company_new("Bench BV", slug="bench-bv")
    client = client_new(company, language="nl")
    catalogue = [("8", "95", "S", "21"), ("2", "1250", "S", "21"), ("12", "21.35", "S", "6")]
    one_page = finalized_new(company, client, catalogue)
    long_lines = [(str(n % 9 + 1), "10.50", "S", "21") for n in range(TEN_PAGE_LINES)]
    ten_pages = finalized_new(company, client, long_lines)
    return one_page, ten_pages


def page_count(content: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def run(runs: int = 20) -> list[Result]:
    from porto.documents.rendering import rules, validation
    from porto.documents.rendering.pdf import render_pdf
    from porto.documents.rendering.ubl import render_ubl

    one_page, ten_pages = documents()
    results = [
        measure(
            "pdf_one_page",
            lambda: render_pdf(one_page),
            runs,
            pages=page_count(render_pdf(one_page)),
        ),
        measure(
            "pdf_ten_pages",
            lambda: render_pdf(ten_pages),
            runs,
            pages=page_count(render_pdf(ten_pages)),
            lines=TEN_PAGE_LINES,
        ),
        measure("ubl_generation", lambda: render_ubl(one_page), runs, lines=one_page.lines.count()),
    ]
    source = shared_einvoice()
    if not (source / rules.SUMS_FILE).is_file():
        print(f"  validation skipped: no rules folder at {source} (set PORTO_SHARED_DIR)")
        return results
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "rules"
        rules.install_from_folder(source, target)
        started = time.perf_counter()
        validator = validation.get_validator(target)
        compile_ms = round((time.perf_counter() - started) * 1000)
        assert validator is not None
        xml = render_ubl(one_page)
        assert validator.validate(xml).is_valid
        results.append(
            measure(
                "validation_warm_three_layers",
                lambda: validator.validate(xml),
                runs,
                warmup=3,
                cold_compile_ms=compile_ms,
                release=validator.release,
            )
        )
    return results
