"""Install or check the official e-invoicing rule files (they are not in the repository)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from porto.documents.rendering import rules


class Command(BaseCommand):
    help = (
        "Install the official Peppol BIS Billing 3.0 / EN 16931 rule files: `install` fetches "
        "the pinned release, `install --from DIR` copies them from a folder with SHA256SUMS; "
        "`status` shows what is installed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["install", "status"])
        parser.add_argument(
            "--from",
            dest="source",
            type=Path,
            help="A folder with the rule files and their SHA256SUMS (no download).",
        )

    def handle(self, *args, action: str, source: Path | None, **options) -> None:
        if action == "status":
            self._status()
            return
        target = rules.rules_dir()
        try:
            if source is not None:
                different = rules.install_from_folder(source, target)
            else:
                rules.install_pinned(target)
                different = []
        except rules.RulesError as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(f"Could not install the rules into {target}: {error}") from error
        release = rules.installed_release(target)
        self.stdout.write(self.style.SUCCESS(f"Installed rules {release} into {target}."))
        if different:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(different)} file(s) differ from the pinned release "
                    f"{rules.PINNED_RELEASE}; they match their SHA256SUMS."
                )
            )

    def _status(self) -> None:
        target = rules.rules_dir()
        if not rules.rules_installed(target):
            raise CommandError(
                f"No rules installed in {target}: run `manage.py einvoice_rules install`. "
                "Until then UBL files are produced but marked as not validated."
            )
        problems = rules.verify_installed(target)
        if problems:
            raise CommandError("; ".join(problems))
        self.stdout.write(f"Rules {rules.installed_release(target)} installed in {target}.")
