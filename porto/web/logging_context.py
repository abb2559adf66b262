"""The entry points that bind the log context (porto/lib/logcontext.py): every request of a
signed-in user, and every task a worker runs (the delivery of emails, the processing of a
stored webhook, a pixel open, an Update status).

Tasks are bound through django-tasks' ``task_started``/``task_finished`` signals, which every
backend (database, RQ, immediate) sends around the task: the ids come from the task's
arguments by name (``email_id``, ``email_ids``, ``webhook_id``, ``recipient_id``), and an
email's company and document from one query. Connected in ``WebConfig.ready``."""

import contextlib
import inspect
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django_tasks.signals import task_finished, task_started

from porto.lib.logcontext import log_context, log_context_bind, log_context_reset
from porto.mail.models import OutgoingEmail

# Task argument name -> log context key.
ARGUMENT_KEYS = {"email_id": "email_id", "webhook_id": "webhook_id", "recipient_id": "recipient_id"}

_task_tokens: dict[str, object] = {}  # task result id -> the token that restores the context


def task_arguments(task_result) -> dict:
    """The task's arguments by parameter name."""
    try:
        bound = inspect.signature(task_result.task.func).bind(
            *task_result.args, **task_result.kwargs
        )
    except TypeError:
        return {}
    return dict(bound.arguments)


def ids_of_task(task_result) -> dict[str, int | str | None]:
    arguments = task_arguments(task_result)
    ids: dict[str, int | str | None] = {"task_id": str(task_result.id)}
    ids |= {key: arguments[name] for name, key in ARGUMENT_KEYS.items() if name in arguments}
    email_ids = list(arguments.get("email_ids") or [])
    if len(email_ids) == 1:
        ids["email_id"] = email_ids[0]
    if "email_id" in ids:
        email_ids = [ids["email_id"]]
    return ids | email_owners(email_ids)


def email_owners(email_ids: list) -> dict[str, int | None]:
    """The company (and the document, for one email) of the emails a task works on; a batch
    of several companies names none."""
    if not email_ids:
        return {}
    owners = set(
        OutgoingEmail.objects.filter(pk__in=email_ids).values_list("company_id", "document_id")
    )
    companies = {company for company, _ in owners}
    return {
        "company_id": companies.pop() if len(companies) == 1 else None,
        "document_id": owners.pop()[1] if len(owners) == 1 and len(email_ids) == 1 else None,
    }


def task_context_bind(sender, task_result, **kwargs) -> None:
    try:
        ids = ids_of_task(task_result)
    except Exception:  # the log context must never stop a task
        ids = {"task_id": str(task_result.id)}
    _task_tokens[str(task_result.id)] = log_context_bind(**ids)


def task_context_reset(sender, task_result, **kwargs) -> None:
    token = _task_tokens.pop(str(task_result.id), None)
    if token is not None:
        # ValueError: finished in another context than it started; that one ends by itself.
        with contextlib.suppress(ValueError):
            log_context_reset(token)  # type: ignore[arg-type]


def connect_task_signals() -> None:
    task_started.connect(task_context_bind, dispatch_uid="porto-log-context-bind")
    task_finished.connect(task_context_reset, dispatch_uid="porto-log-context-reset")


class LogContextMiddleware:
    """Binds the signed-in user for the whole request; ``access.current_company`` adds the
    company once the request has resolved it (a forged session id never gets that far). The
    context is restored when the response leaves, so a thread's next request starts empty."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        with log_context(user_id=user_id):
            return self.get_response(request)
