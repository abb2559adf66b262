"""The production profile in porto/settings.py: the S3 storage built from the environment, the
static files storage, the refusal to start without a database URL, and the stored-file code
paths run against an in-memory storage (they must never need a local path)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

from porto.lib.staticfiles import HashedGzipStaticFilesStorage

REPOSITORY = Path(__file__).resolve().parents[1]
# What production requires besides the variable a test is about.
PRODUCTION = {
    "PORTO_DEBUG": "0",
    "PORTO_SECRET_KEY": "x" * 50,
    "PORTO_FERNET_KEYS": "dGVzdC1vbmx5LWZlcm5ldC1rZXktMzItYnl0ZXMhISE=",
}
S3_ENVIRONMENT = {
    "PORTO_S3_BUCKET": "porto-files",
    "PORTO_S3_ENDPOINT_URL": "https://s3.fr-par.scw.cloud",
    "PORTO_S3_REGION": "fr-par",
    "PORTO_S3_ACCESS_KEY_ID": "SCWEXAMPLEKEY",
    "PORTO_S3_SECRET_ACCESS_KEY": "example-secret",
    "PORTO_S3_PREFIX": "production",
}
# Tests that reach stored files (rendered PDF/UBL, logos) through Porto's code.
STORED_FILE_TESTS = ["tests/documents/test_files.py", "tests/web/test_company_profile.py"]
# These tests look at the local disk themselves (to tamper with a file, to list a folder).
NEEDS_A_LOCAL_FILE = [
    "tests/documents/test_files.py::test_a_stored_file_changed_on_disk_is_not_sent",
    "tests/documents/test_files.py::test_two_requests_storing_at_once_keep_one_file",
]


def settings_in_subprocess(
    environment: dict[str, str], expression: str
) -> subprocess.CompletedProcess:
    """Import porto.settings afresh with ``environment`` and print ``expression``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PORTO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-c", f"from porto import settings; print({expression})"],
        env=clean | {"PYTHONPATH": str(REPOSITORY)} | environment,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_a_bucket_files_are_local_in_media_root():
    done = settings_in_subprocess({}, 'settings.STORAGES["default"]')
    assert done.stdout.strip() == "{'BACKEND': 'django.core.files.storage.FileSystemStorage'}"


def test_a_bucket_builds_a_private_s3_storage_from_the_environment():
    done = settings_in_subprocess(S3_ENVIRONMENT, 'settings.STORAGES["default"]')
    assert done.returncode == 0, done.stderr
    built = eval(done.stdout)  # a dict literal printed by this test's own subprocess
    assert built == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "porto-files",
            "endpoint_url": "https://s3.fr-par.scw.cloud",
            "region_name": "fr-par",
            "access_key": "SCWEXAMPLEKEY",
            "secret_key": "example-secret",
            "location": "production",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


def test_django_storages_accepts_every_option_porto_builds(settings):
    """django-storages refuses unknown options: the built options construct a storage (no
    request is made until a file is read or written)."""
    options = settings_in_subprocess(S3_ENVIRONMENT, 'settings.STORAGES["default"]["OPTIONS"]')
    storage = S3Storage(**eval(options.stdout))
    assert (storage.bucket_name, storage.location, storage.default_acl) == (
        "porto-files",
        "production",
        "private",
    )
    assert storage.endpoint_url == "https://s3.fr-par.scw.cloud"


def test_production_serves_hashed_gzipped_static_files_development_the_sources():
    production = settings_in_subprocess(
        PRODUCTION | {"DATABASE_URL": "sqlite:///:memory:"},
        'settings.STORAGES["staticfiles"]["BACKEND"], settings.WHITENOISE_USE_FINDERS',
    )
    assert production.stdout.strip() == (
        "porto.lib.staticfiles.HashedGzipStaticFilesStorage False"
    ), production.stderr
    development = settings_in_subprocess(
        {}, 'settings.STORAGES["staticfiles"]["BACKEND"], settings.WHITENOISE_USE_FINDERS'
    )
    assert development.stdout.strip() == (
        "django.contrib.staticfiles.storage.StaticFilesStorage True"
    )


def test_the_static_storage_compresses_with_gzip_only_and_never_source_maps(settings):
    compressor = HashedGzipStaticFilesStorage().create_compressor()
    assert (compressor.use_gzip, compressor.use_brotli) == (True, False)
    assert not compressor.should_compress("swagger-ui-bundle.js.map")
    assert compressor.should_compress("porto/porto.css")


def test_production_without_database_url_refuses_to_start_and_says_what_to_set():
    done = settings_in_subprocess(PRODUCTION, "1")
    assert done.returncode != 0
    assert "ImproperlyConfigured: Set DATABASE_URL (e.g. postgres://" in done.stderr


def test_an_unknown_log_format_refuses_to_start():
    done = settings_in_subprocess({"PORTO_LOG_FORMAT": "xml"}, "1")
    assert "PORTO_LOG_FORMAT='xml' is not known: use 'text' or 'json'." in done.stderr


def test_production_logs_json_by_default_development_text():
    production = settings_in_subprocess(
        PRODUCTION | {"DATABASE_URL": "sqlite:///:memory:"},
        'settings.LOGGING["handlers"]["console"].get("formatter")',
    )
    assert production.stdout.strip() == "json", production.stderr
    development = settings_in_subprocess(
        {}, 'settings.LOGGING["handlers"]["console"].get("formatter")'
    )
    assert development.stdout.strip() == "None"


def test_the_default_storage_is_what_the_setting_names(settings):
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}
    }
    assert type(storages["default"]).__name__ == "InMemoryStorage"


def test_porto_never_reaches_a_stored_file_by_a_local_path():
    """S3 has no local path: ``.path`` on a file or storage, or MEDIA_ROOT, would break it."""
    by_path = re.compile(r"\b(file|logo|storage|default_storage)\.path\b|MEDIA_ROOT")
    offenders = [
        f"{source.relative_to(REPOSITORY)}:{number}: {line.strip()}"
        for source in (REPOSITORY / "porto").rglob("*.py")
        if source.name != "settings.py"
        for number, line in enumerate(source.read_text().splitlines(), 1)
        if by_path.search(line)
    ]
    assert offenders == []


@pytest.mark.processes
@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the SQLite pass runs it"
)
def test_the_stored_file_tests_pass_with_an_in_memory_storage():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.in_memory_storage",
            *(f"--deselect={test}" for test in NEEDS_A_LOCAL_FILE),
            "-m",
            "not browser",
            *STORED_FILE_TESTS,
        ],
        cwd=REPOSITORY,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-5000:]
    assert re.search(r"\b\d{2,} passed\b", done.stdout), done.stdout[-2000:]
    assert " skipped" not in done.stdout.splitlines()[-1], done.stdout[-2000:]
