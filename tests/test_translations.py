"""Nothing in English on a Dutch or French page: one catalogue, every message translated.

The messages are extracted from the code as it is now (makemessages in a copy of the project, so
the repository is not touched) and merged with the committed catalogue; every message without a
finished Dutch or French translation is listed.
"""

import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

BASE_DIR = Path(settings.BASE_DIR)
LANGUAGES = ("nl", "fr")
SOURCES = ("porto", "templates", "static")
NOT_SOURCES = {".venv", ".git", "var", "media", "staticfiles", "build", "node_modules"}
GETTEXT_TOOLS = ("xgettext", "msgmerge", "msguniq", "msgattrib", "msgfmt")
# %(name)s, %s, %d, {name}, and the email texts' %document-number% style.
PLACEHOLDER = re.compile(
    r"%\([^)]+\)[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%[-#0+]*\d*(?:\.\d+)?[diouxXeEfFgGcrs](?![\w-]*%)"
    r"|%[a-z][a-z-]*%"
    r"|\{[A-Za-z_][A-Za-z0-9_]*\}"
)


@dataclass
class Entry:
    msgid: str
    msgid_plural: str = ""
    msgctxt: str = ""
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def label(self) -> str:
        text = f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt else self.msgid
        return text.replace("\n", "\\n")


def _unquote(line: str) -> str:
    return line[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def po_parse(text: str) -> list[Entry]:
    """Every entry of a .po file, header included (msgid "")."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry, key, index = Entry(msgid=""), "", 0
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#~"):
                entry.obsolete = True
                line = line[2:].strip()
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
                continue
            if not line or line.startswith("#"):
                continue
            match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
            if match:
                key, index, line = match[1], int(match[2] or 0), match[3]
                if key == "msgstr":
                    entry.msgstr.extend([""] * (index + 1 - len(entry.msgstr)))
            value = _unquote(line)
            if key == "msgstr":
                entry.msgstr[index] += value
            else:
                setattr(entry, key, getattr(entry, key) + value)
        if key:
            entries.append(entry)
    return entries


def placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


def catalogue_problems(text: str) -> list[str]:
    """Messages of one catalogue that a reader would see in English or see broken."""
    problems = []
    for entry in po_parse(text):
        if entry.obsolete or not entry.msgid:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.label}")
        elif not entry.msgstr or not all(entry.msgstr):
            problems.append(f"untranslated: {entry.label}")
        else:
            problems.extend(_placeholder_problems(entry))
    return problems


def _placeholder_problems(entry: Entry) -> list[str]:
    problems = []
    for index, translation in enumerate(entry.msgstr):
        source = entry.msgid_plural if index and entry.msgid_plural else entry.msgid
        if placeholders(translation) != placeholders(source):
            problems.append(f"placeholders differ: {entry.label} -> {translation}")
    return problems


def stray_catalogues(root: Path) -> list[str]:
    """.po files outside the project's one catalogue directory, locale/."""
    stray = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in NOT_SOURCES)
        for name in files:
            path = Path(directory, name).relative_to(root)
            if name.endswith(".po") and path.parts[0] != "locale":
                stray.append(str(path))
    return stray


def locale_paths_problems(paths: list, root: Path) -> list[str]:
    if [Path(p) for p in paths] == [root / "locale"]:
        return []
    return [f"LOCALE_PATHS must be the one catalogue [{root / 'locale'}], not {paths}"]


def require_gettext() -> None:
    missing = [tool for tool in GETTEXT_TOOLS if not shutil.which(tool)]
    if missing:
        pytest.fail(f"install gettext: apt-get install gettext (missing {', '.join(missing)})")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The catalogue as makemessages would leave it for the code as it is now, in a copy."""
    require_gettext()
    copy = tmp_path_factory.mktemp("project")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for name in SOURCES:
        shutil.copytree(BASE_DIR / name, copy / name, ignore=skip)
    shutil.copytree(BASE_DIR / "locale", copy / "locale", ignore=skip)
    cwd = Path.cwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[copy / "locale"]):
            call_command("makemessages", locale=list(LANGUAGES), no_obsolete=True, verbosity=0)
    finally:
        os.chdir(cwd)
    return copy / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_has_a_finished_translation(extracted, language):
    po = extracted / language / "LC_MESSAGES" / "django.po"
    problems = catalogue_problems(po.read_text(encoding="utf-8"))
    assert problems == [], f"{language}: {len(problems)} messages:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_committed_catalogue_passes_msgfmt_check(language):
    require_gettext()
    po = BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_there_is_no_catalogue_outside_locale():
    assert stray_catalogues(BASE_DIR) == []


def test_locale_paths_is_the_one_catalogue():
    assert locale_paths_problems(settings.LOCALE_PATHS, BASE_DIR) == []


MADE_UP = r"""
msgid ""
msgstr ""
"Language: nl\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

msgid "Delivered"
msgstr "Afgeleverd"

msgid "Sandbox inbox"
msgstr ""

#, fuzzy
msgid "Update status"
msgstr "Status bijwerken"

#, python-format
msgid "Sent to %(address)s"
msgstr "Verstuurd naar %(adres)s"

#, python-format
msgid "%(count)s document"
msgid_plural "%(count)s documents"
msgstr[0] "%(count)s document"
msgstr[1] ""

msgid "Dear %client-name%,"
msgstr "Beste %klant%,"

#~ msgid "Old"
#~ msgstr ""
"""


def test_checker_reports_missing_fuzzy_and_broken_placeholders():
    assert catalogue_problems(MADE_UP) == [
        "untranslated: Sandbox inbox",
        "fuzzy: Update status",
        "placeholders differ: Sent to %(address)s -> Verstuurd naar %(adres)s",
        "untranslated: %(count)s document",
        "placeholders differ: Dear %client-name%, -> Beste %klant%,",
    ]


def test_checker_accepts_a_complete_catalogue_with_reordered_placeholders():
    complete = """
msgid "%(name)s sent %(count)d emails"
msgstr "%(count)d e-mails verstuurd door %(name)s"

msgid "{size} is too big"
msgid_plural "{size} are too big"
msgstr[0] "{size} is te groot"
msgstr[1] "{size} zijn te groot"

msgid "5 % of {total}"
msgstr "5 % van {total}"
"""
    assert catalogue_problems(complete) == []


def test_checker_finds_a_catalogue_outside_locale(tmp_path):
    (tmp_path / "locale" / "nl" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "locale" / "nl" / "LC_MESSAGES" / "django.po").write_text("")
    stray = tmp_path / "porto" / "web" / "locale" / "fr" / "LC_MESSAGES"
    stray.mkdir(parents=True)
    (stray / "django.po").write_text("")
    (tmp_path / ".venv" / "django").mkdir(parents=True)
    (tmp_path / ".venv" / "django" / "django.po").write_text("")
    assert stray_catalogues(tmp_path) == ["porto/web/locale/fr/LC_MESSAGES/django.po"]


def test_checker_refuses_a_second_locale_path(tmp_path):
    assert locale_paths_problems([tmp_path / "locale"], tmp_path) == []
    assert locale_paths_problems([tmp_path / "locale", tmp_path / "locale" / "web"], tmp_path)


def test_the_sandbox_inbox_in_dutch_has_no_english_and_names_languages_in_their_own(
    owner_client, settings
):
    settings.PORTO_SANDBOX_ENABLED = True
    owner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    page = owner_client.get(reverse("sandbox:inbox")).content.decode()
    assert '<html lang="nl">' in page
    assert "Testinbox" in page and "Nog geen e-mails ontvangen." in page
    assert "No emails received yet." not in page and "Test inbox." not in page
    assert '<option value="fr" lang="fr">Français</option>' in page
