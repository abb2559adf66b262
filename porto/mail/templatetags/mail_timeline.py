from django import template
from django.conf import settings
from django.utils import timezone

from porto.mail.timeline import document_timeline

register = template.Library()


@register.simple_tag
def timeline_of(document):
    """``{% timeline_of document as entries %}``: the partial needs only the document."""
    return document_timeline(document, timezone.now())


@register.simple_tag
def timeline_refresh_seconds() -> int:
    """How often an open document page asks for a fresh timeline."""
    return settings.PORTO_TIMELINE_REFRESH_SECONDS
