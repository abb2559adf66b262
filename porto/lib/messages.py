"""A sentence kept for later: its msgid and parameters, so it can be stored and said in the
reader's language (``porto.mail.reasons.reason_message``) rather than the worker's."""

from collections.abc import Mapping

from django.utils.translation import gettext as _


def message_params(params: Mapping[str, object] | None) -> dict[str, str | int | float]:
    """``params`` as JSON can store them: numbers kept (``%d`` needs them), the rest as text."""
    return {
        name: value if isinstance(value, int | float) else str(value)
        for name, value in (params or {}).items()
    }


def message_text(msgid: str, params: Mapping[str, object]) -> str:
    """The sentence in the active language."""
    return _(msgid) % params if params else _(msgid)
