"""Form pieces shared by console pages."""

from django import forms
from django.utils.html import format_html, format_html_join

from apps.generation.engine.builtin_templates import list_templates
from apps.generation.engine.limits import MAX_DOCUMENT_CHARS


class SpecField(forms.CharField):
    """A YAML or JSON spec, edited as text in a monospace editor."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 24, "cols": 100, "class": "console-spec",
                                                          "spellcheck": "false"}))
        kwargs.setdefault("max_length", MAX_DOCUMENT_CHARS)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)


def template_card(summary: dict) -> str:
    tables = format_html_join(
        "", "<li><code>{}</code>: {} rows{}</li>",
        ((name, f"{table['rows']:,}", f" ({table['per']['min']}-{table['per']['max']} per {table['per']['table']})"
          if table["per"] else "") for name, table in summary["tables"].items()))
    return format_html('<span class="console-template"><strong>{}</strong> <span class="help">{}</span>'
                       "<ul>{}</ul></span>", summary["name"], summary["description"], tables)


def template_choices() -> list[tuple[str, str]]:
    return [(summary["name"], template_card(summary)) for summary in list_templates()]
