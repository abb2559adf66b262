from django.core.exceptions import ValidationError


class DocumentFileError(ValidationError):
    """A document's file cannot be produced or sent as it is. ``messages`` says why, each in
    words a person can act on; ``rule_ids`` keeps the official rule ids for support."""

    def __init__(self, messages: list[str] | str, *, code: str, rule_ids: tuple[str, ...] = ()):
        super().__init__(messages, code=code)
        self.code = code
        self.rule_ids = rule_ids
