"""Thin task wrapper: produce a just-finalized document's files in the background.

Enqueue it inside ``transaction.on_commit`` after ``document_finalize``; whoever sends the
document later gets the stored bytes (or, if the task has not run yet, renders them then)."""

from django_tasks import task

from porto.documents.models import Document
from porto.documents.rendering.files import document_files_prepare


@task()
def prepare_document_files(document_id: int) -> list[str]:
    document = Document.objects.select_related("company", "client", "corrects").get(pk=document_id)
    return document_files_prepare(document)
