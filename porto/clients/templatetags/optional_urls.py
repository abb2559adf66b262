"""Links to pages that may not exist in every build (e.g. the document editor): the link is
left out instead of the page failing."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def optional_url(name: str, *args) -> str:
    """The URL named ``name``, or "" when no such URL is installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""
