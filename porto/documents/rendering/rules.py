"""The official e-invoicing rule files: where they live, and how they get there.

Their licences keep them out of the repository, so Porto installs them itself, into
``settings.PORTO_EINVOICE_RULES_DIR``:

- ``install_from_folder(source)`` copies them from a folder laid out like the release
  (``xsd/ubl-2.1/…``, ``xslt/en16931-ubl.xslt``, ``xslt/peppol-ubl.xslt``) whose
  ``SHA256SUMS`` lists every file; a file that does not match its sum is refused;
- ``install_pinned()`` downloads the pinned release from its upstream sources and checks each
  file against the SHA-256 pinned below.

Either way the files are written to a temporary folder next to the target and swapped in only
when all of them are complete and checked, so a failed install leaves the old rules in place.
"""

import hashlib
import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from django.conf import settings
from django.utils.translation import gettext as _

CEN_XSLT = "xslt/en16931-ubl.xslt"
PEPPOL_XSLT = "xslt/peppol-ubl.xslt"
INVOICE_XSD = "xsd/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"
CREDIT_NOTE_XSD = "xsd/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"
RELEASE_FILE = "RELEASE"
SUMS_FILE = "SHA256SUMS"

# Peppol BIS Billing 3.0.21 (release 2026.05), which bundles CEN EN 16931 validation 1.3.16.
PINNED_RELEASE = "peppol-bis-3.0.21+cen-1.3.16+ubl-2.1"

_UBL_ZIP = "https://docs.oasis-open.org/ubl/os-UBL-2.1/UBL-2.1.zip"
_CEN_XSLT_URL = (
    "https://raw.githubusercontent.com/ConnectingEurope/eInvoicing-EN16931/"
    "b6c9e06a59812fb1a83585da40923b3678a649ad/ubl/xslt/EN16931-UBL-validation.xslt"
)
_PEPPOL_XSLT_URL = (
    "https://raw.githubusercontent.com/phax/phive-rules/"
    "432f0e9a8cff5c03d06625abe7a5fd8e7e346a64/phive-rules-peppol/src/main/resources/"
    "external/schematron/openpeppol/2026.5/xslt/PEPPOL-EN16931-UBL.xslt"
)


@dataclass(frozen=True)
class RuleFile:
    path: str  # inside the rules folder
    sha256: str  # of the pinned release
    url: str  # where the pinned release keeps it
    member: str = ""  # the file inside the archive at ``url``, if it is one


def _ubl(name: str, sha256: str, folder: str = "common") -> RuleFile:
    return RuleFile(f"xsd/ubl-2.1/{folder}/{name}", sha256, _UBL_ZIP, f"xsd/{folder}/{name}")


PINNED_FILES: tuple[RuleFile, ...] = (
    RuleFile(CEN_XSLT, "39f9d282867f1a49e7708d9e29a53da89643e1ee56f10cec1ebcf1277595fcbd", _CEN_XSLT_URL),
    RuleFile(PEPPOL_XSLT, "8c6b935b1bc0bb17d29d949b0aa27ecc62021b613b9fba173cd6bfec6b3f0008", _PEPPOL_XSLT_URL),
    _ubl("UBL-Invoice-2.1.xsd", "40fae8cb436f3a9506d7acce65ba162caef3b0bed4d5cbc0992b2153ded4edf4", "maindoc"),
    _ubl("UBL-CreditNote-2.1.xsd", "a54651b1225052f811bf2ba01346f13f2454e7cc3e0be290c91dd680dc7b7b1a", "maindoc"),
    _ubl("CCTS_CCT_SchemaModule-2.1.xsd", "dd546e4809df86b6445589f69f0d6c9df162840ae386574ddfc1da7638103e15"),
    _ubl("UBL-CommonAggregateComponents-2.1.xsd", "939172ad8dd057cd403e7f763f6532184dd5ed4b9de24c42ebb35db4792ba613"),
    _ubl("UBL-CommonBasicComponents-2.1.xsd", "bd4ad043ee1d9da1c7f8018dabf739cfafdfb59143d0d16b9ef769e6b7c408a7"),
    _ubl("UBL-CommonExtensionComponents-2.1.xsd", "ad7a4e490978adfbcfc5ec0bb20941cf11ac960ccf0c4de8791a7c731a8dbe87"),
    _ubl("UBL-CommonSignatureComponents-2.1.xsd", "3db472305f029bba5c1ae157bfd0178f715c3f9b94bd8e6c557dbce5e88da874"),
    _ubl("UBL-CoreComponentParameters-2.1.xsd", "8be3379dbdcbcc7802fafdd16bac72c48fff1c0bb364213a31a17911dd06100b"),
    _ubl("UBL-ExtensionContentDataType-2.1.xsd", "fcee77a11870208e6377ea6311b9f2a050bca24bdad8606ea02d71e9f9e72f8d"),
    _ubl("UBL-QualifiedDataTypes-2.1.xsd", "7dcb156e610239c97ae70940cf4653b88e48c3595bf5f56a2204a32e2893e6cf"),
    _ubl("UBL-SignatureAggregateComponents-2.1.xsd", "17bb6b62d709b4fd81449a37655af36aa6a1276ad4fdb1b2e249a5ed4b7c2172"),
    _ubl("UBL-SignatureBasicComponents-2.1.xsd", "cef924d7ba3d1d8ade14469325cde1364f8c174e46f0198ec02da8e9e748a489"),
    _ubl("UBL-UnqualifiedDataTypes-2.1.xsd", "09052d406b4293e2a5f9c2bfee6df10ad4d8d5f0b36e24a6349d7f7936d89eb6"),
    _ubl("UBL-XAdESv132-2.1.xsd", "a4f726bcf8cc3f7d9ffa4dab99e005535a8e8b60dced1e5d94578d2e05afa96e"),
    _ubl("UBL-XAdESv141-2.1.xsd", "1fa4625e9cefcb7a9abb5ac1b64315547450031eece8a55bd584e4ba4b79dbc1"),
    _ubl("UBL-xmldsig-core-schema-2.1.xsd", "101909c9f06456d61ddcc4fb982f1d40dc357b439f393b1a2eb46e42acd60809"),
)  # fmt: skip

REQUIRED_PATHS = tuple(rule.path for rule in PINNED_FILES)


class RulesError(Exception):
    """The rule files are missing, incomplete or do not match their checksums."""


def rules_dir() -> Path:
    return Path(settings.PORTO_EINVOICE_RULES_DIR)


def missing_rule_files(directory: Path | None = None) -> list[str]:
    directory = directory or rules_dir()
    return [path for path in REQUIRED_PATHS if not (directory / path).is_file()]


def rules_installed(directory: Path | None = None) -> bool:
    return not missing_rule_files(directory)


def installed_release(directory: Path | None = None) -> str:
    marker = (directory or rules_dir()) / RELEASE_FILE
    return marker.read_text(encoding="utf-8").strip() if marker.is_file() else ""


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_sums(text: str) -> dict[str, str]:
    """``sha256sum`` output: ``<hex>  ./path`` per line, path relative to the folder."""
    sums = {}
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2:
            digest, path = parts
            sums[path.lstrip("*").removeprefix("./")] = digest.lower()
    return sums


def install_from_folder(source: Path, target: Path | None = None) -> list[str]:
    """Copy the rule files from ``source``, each checked against its ``SHA256SUMS``.
    Returns the paths whose content differs from the pinned release (a newer release)."""
    source = Path(source)
    sums_path = source / SUMS_FILE
    if not sums_path.is_file():
        raise RulesError(
            _("%(folder)s has no SHA256SUMS file: Porto installs only checked rule files.")
            % {"folder": source}
        )
    sums = read_sums(sums_path.read_text(encoding="utf-8"))
    files = {}
    for path in REQUIRED_PATHS:
        files[path] = _checked_file(source, path, sums)
    release = _release_name(files)
    _write_release(files, release, target or rules_dir())
    pinned = {rule.path: rule.sha256 for rule in PINNED_FILES}
    return [path for path, data in files.items() if sha256_of(data) != pinned[path]]


def _checked_file(source: Path, path: str, sums: dict[str, str]) -> bytes:
    file = source / path
    if not file.is_file():
        raise RulesError(
            _("%(folder)s lacks %(path)s: copy the complete rules release.")
            % {"folder": source, "path": path}
        )
    if path not in sums:
        raise RulesError(
            _("SHA256SUMS in %(folder)s does not list %(path)s.") % {"folder": source, "path": path}
        )
    data = file.read_bytes()
    if sha256_of(data) != sums[path]:
        raise RulesError(
            _(
                "%(path)s does not match its SHA-256 in SHA256SUMS: the file is damaged or "
                "was changed. Copy the rules release again."
            )
            % {"path": path}
        )
    return data


def _release_name(files: dict[str, bytes]) -> str:
    pinned = {rule.path: rule.sha256 for rule in PINNED_FILES}
    if all(sha256_of(data) == pinned[path] for path, data in files.items()):
        return PINNED_RELEASE
    combined = sha256_of("".join(sha256_of(files[path]) for path in REQUIRED_PATHS).encode())
    return f"custom-{combined[:12]}"


Fetch = Callable[[str], bytes]


def http_get(url: str) -> bytes:
    response = requests.get(url, timeout=60)
    response.raise_for_status()
    return response.content


def install_pinned(target: Path | None = None, fetch: Fetch = http_get) -> None:
    """Download the pinned release and install it; every file must match its pinned SHA-256."""
    downloads: dict[str, bytes] = {}
    files = {}
    for rule in PINNED_FILES:
        if rule.url not in downloads:
            downloads[rule.url] = _download(fetch, rule.url)
        data = _member(downloads[rule.url], rule) if rule.member else downloads[rule.url]
        if sha256_of(data) != rule.sha256:
            raise RulesError(
                _(
                    "The download of %(path)s from %(url)s does not match the pinned SHA-256: "
                    "nothing was installed. Try again later, or install with --from a folder."
                )
                % {"path": rule.path, "url": rule.url}
            )
        files[rule.path] = data
    _write_release(files, PINNED_RELEASE, target or rules_dir())


def _download(fetch: Fetch, url: str) -> bytes:
    try:
        return fetch(url)
    except OSError as error:  # requests' errors are OSErrors too
        raise RulesError(
            _(
                "Could not download %(url)s (%(reason)s): nothing was installed. Check the "
                "network, or install with --from a folder that holds the rule files."
            )
            % {"url": url, "reason": error}
        ) from error


def _member(archive: bytes, rule: RuleFile) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            return bundle.read(rule.member)
    except (zipfile.BadZipFile, KeyError) as error:
        raise RulesError(
            _("%(url)s is not the expected archive: it lacks %(member)s.")
            % {"url": rule.url, "member": rule.member}
        ) from error


def _write_release(files: dict[str, bytes], release: str, target: Path) -> None:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for path, data in files.items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_bytes(data)
        sums = "".join(f"{sha256_of(files[path])}  ./{path}\n" for path in sorted(files))
        (staging / SUMS_FILE).write_text(sums, encoding="utf-8")
        (staging / RELEASE_FILE).write_text(release + "\n", encoding="utf-8")
        _swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def verify_installed(directory: Path | None = None) -> list[str]:
    """Problems with the installed files (missing, or changed since they were installed)."""
    directory = directory or rules_dir()
    problems = [
        _("%(path)s is missing.") % {"path": path} for path in missing_rule_files(directory)
    ]
    sums_path = directory / SUMS_FILE
    if problems or not sums_path.is_file():
        return problems or [_("SHA256SUMS is missing: install the rules again.")]
    sums = read_sums(sums_path.read_text(encoding="utf-8"))
    for path in REQUIRED_PATHS:
        if sha256_of((directory / path).read_bytes()) != sums.get(path):
            problems.append(_("%(path)s was changed since it was installed.") % {"path": path})
    return problems
