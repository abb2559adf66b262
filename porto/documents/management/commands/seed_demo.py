from django.core.management.base import BaseCommand

from porto.documents.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo


class Command(BaseCommand):
    help = "Create the demo company, its login, clients and documents (safe to run again)."

    def handle(self, *args, **options) -> None:
        company = seed_demo()
        self.stdout.write(
            f"Demo company {company.name}: {company.clients.count()} clients, "
            f"{company.documents.count()} documents. "
            f"Log in as {DEMO_USERNAME} / {DEMO_PASSWORD}."
        )
