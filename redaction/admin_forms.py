"""The rule form's widgets: scopes edited as people think of them, stored as before.

A rule's scope is stored as JSON lists (``scope_posts``, ``scope_tags``,
``scope_levels``, ``controls``, ``personal_kinds``) that the matcher and the API
read (``redaction.rule_specs``).  Editors should not have to write JSON: posts,
TAGS and controls are tag inputs (type ``PTER``, press Enter; or a comma-separated
list when scripts are off) with suggestions from the cables the editor may view
(``ScopeSuggestions``), levels and personal
data kinds are checkboxes, dates are the browser's date picker.  Each field cleans
to exactly the list or date the JSON column held before, so nothing downstream
changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet, Value
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from cables.models import Cable, CableTag, ClassificationLevel
from redaction.engine.personal_data import PERSONAL_DATA_KINDS

SUGGESTIONS_LIMIT = 2000  # a datalist longer than this helps nobody

# The boolean annotation by which the workflow marks, on the cables it hands the form,
# those whose TAGS the editor reads (``workflow.access.tags_readable``: the tags go with
# the subject).  Cables without it suggest no TAGS: this app cannot tell who reads them.
TAGS_READABLE = "tags_readable"

# Dissemination controls a marking rule may name (canonical spellings, as the parser
# stores them on paragraphs: cables.markings).
CONTROL_SUGGESTIONS = (
    "NOFORN", "ORCON", "NODIS", "EXDIS", "LIMDIS", "STADIS", "FGI", "SBU", "LOU", "FOUO",
    "EFTO", "RD", "FRD",
)  # fmt: skip

_SPLIT = re.compile(r"[,\n;]+")


class ScopeSuggestions:
    """The distinct posts and TAGS of ``cables`` (the cables the editor may view), for
    the scope's datalists: one query, run when a datalist first renders, per form.

    Computed per request, never shared between users: a post or a TAG is a header
    field, and an editor learns it only of a cable they may view; a TAG, moreover, only
    of a cable the workflow marks ``TAGS_READABLE`` (TAGS repeat the subject's words and
    go with it).  No cables (the default, ``None``): nothing is suggested.  No cache: a
    revoked grant suggests nothing on the next page.  Measured with 250,000 cables, 300
    posts and 997,250 TAGS rows (2,000 distinct): 0.29 s a page for a superuser, 0.25 s
    for an editor holding 20,000 grants, 0.05 s for 5,300, 3 ms for none (the global
    pair it replaces took 0.16 s, once every 5 minutes).
    """

    def __init__(self, cables: QuerySet[Cable] | None) -> None:
        self.cables = cables
        self._loaded: dict[str, list[str]] | None = None

    def _load(self) -> dict[str, list[str]]:
        if self._loaded is None:
            self._loaded = {"post": [], "tag": []}
            if self.cables is not None:
                for kind, value in _suggestion_rows(self.cables):
                    self._loaded[kind].append(value)
        return self._loaded

    def posts(self) -> list[str]:
        return self._load()["post"]

    def tags(self) -> list[str]:
        return self._load()["tag"]


def _suggestion_rows(cables: QuerySet[Cable]) -> QuerySet[Any]:
    """(kind, value) rows: the first ``SUGGESTIONS_LIMIT`` distinct posts, then TAGS, of
    ``cables`` in alphabetical order, as one UNION ALL of two sorted, limited halves."""
    posts = (
        cables.exclude(origin="")
        .annotate(kind=Value("post"))
        .order_by("origin")
        .values_list("kind", "origin")
        .distinct()[:SUGGESTIONS_LIMIT]
    )
    tags = (
        CableTag.objects.filter(cable__in=_tags_readable(cables).order_by().values("pk"))
        .annotate(kind=Value("tag"))
        .order_by("tag")
        .values_list("kind", "tag")
        .distinct()[:SUGGESTIONS_LIMIT]
    )
    return posts.union(tags, all=True)


def _tags_readable(cables: QuerySet[Cable]) -> QuerySet[Cable]:
    """The cables whose TAGS the editor reads, as the workflow marked them
    (``TAGS_READABLE``); none where it did not say."""
    if TAGS_READABLE not in cables.query.annotations:
        return cables.none()
    return cables.filter(**{TAGS_READABLE: True})


class TagInput(forms.TextInput):
    """A text input holding a comma-separated list, with a datalist of suggestions.

    ``static/js/tag-input.js`` turns it into chips (Enter or a comma adds one, x
    removes it); without scripts it stays a plain comma-separated field that the
    form field below reads the same way.  Suggestions are computed when the widget
    renders (not at import), so a fresh import's posts appear on the next page.
    """

    def __init__(
        self,
        suggestions: Callable[[], Iterable[str]] | Sequence[str] = (),
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs={"class": "tag-input vTextField", **(attrs or {})})
        self.suggestions = suggestions

    class Media:
        js = ("js/tag-input.js",)
        css = {"all": ("css/tag-input.css",)}

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return super().format_value(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        attrs = context["widget"]["attrs"]
        attrs["list"] = f"{attrs.get('id') or name}-suggestions"
        attrs.setdefault("autocomplete", "off")
        return context

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        """The input, then its datalist (built here: the form renderer's engine does not
        see the project's templates)."""
        field = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id') or self.attrs.get('id') or name}-suggestions"
        source = self.suggestions() if callable(self.suggestions) else self.suggestions
        options = format_html_join("", '<option value="{}">', ((s,) for s in source))
        return format_html('{}<datalist id="{}">{}</datalist>', field, list_id, options)


class TagListField(forms.Field):
    """A list of strings typed as tags: comma, semicolon or newline separated.

    Cleans to a list without blanks or repeats, in the order typed (``upper``:
    upper-cased, as TAGS and controls are stored).  A value that happens to be a
    JSON list (``["PTER"]``, as the old form took) is read as its items.
    """

    widget = TagInput

    def __init__(self, *, upper: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.upper = upper

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        items = value if isinstance(value, list | tuple) else _SPLIT.split(str(value))
        out: list[str] = []
        for item in items:
            text = str(item).strip().strip("[]").strip().strip("\"'").strip()
            if self.upper:
                text = text.upper()
            if text and text not in out:
                out.append(text)
        return out

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def has_changed(self, initial: Any, data: Any) -> bool:
        return list(initial or []) != self.to_python(data)


class ChecklistField(forms.TypedMultipleChoiceField):
    """Checkboxes stored as a JSON list.  A JSON list posted as one value (``[2, 3]``,
    ``["email"]``: what the old form took, and what scripts may still post) is read
    as its items."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        items = value if isinstance(value, list | tuple) else [value] if value else []
        out: list[str] = []
        for item in items:
            out += [p for p in re.split(r"[\s,\[\]\"']+", str(item)) if p]
        return out

    def has_changed(self, initial: Any, data: Any) -> bool:
        return sorted(str(v) for v in initial or []) != sorted(self.to_python(data))


class DatePicker(forms.DateInput):
    """The browser's own date picker (``input type=date`` posts ISO dates)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def personal_kind_choices() -> list[tuple[str, str]]:
    return [(kind, kind.replace("_", " ")) for kind in PERSONAL_DATA_KINDS]


RULE_FIELD_OVERRIDES: dict[str, Callable[[], forms.Field]] = {
    "scope_posts": lambda: TagListField(
        label="Posts",
        widget=TagInput(),  # suggestions: RuleForm, from the cables the editor may view
        help_text="Only cables from these posts (empty: every post). Type a post and "
        "press Enter; suggestions come from the cables you may view.",
    ),
    "scope_tags": lambda: TagListField(
        label="TAGS",
        upper=True,
        widget=TagInput(attrs={"data-upper": "1"}),  # suggestions: as the posts
        help_text="Only cables carrying any of these TAGS (empty: any). Type a TAG "
        "such as PTER and press Enter.",
    ),
    "scope_levels": lambda: ChecklistField(
        choices=ClassificationLevel.choices,
        coerce=int,
        label="Classifications",
        help_text="Only cables classified at these levels (none ticked: every level).",
    ),
    "controls": lambda: TagListField(
        label="Controls",
        upper=True,
        widget=TagInput(CONTROL_SUGGESTIONS, attrs={"data-upper": "1"}),
        help_text="Marking rule: withhold paragraphs carrying any of these (NOFORN, ORCON...).",
    ),
    "personal_kinds": lambda: ChecklistField(
        label="Personal data kinds",
        choices=personal_kind_choices(),
        help_text="Personal data rule: the kinds to find (none ticked: all).",
    ),
    "scope_from": lambda: forms.DateField(
        label="From", required=False, widget=DatePicker(), help_text="Cables sent on or after."
    ),
    "scope_to": lambda: forms.DateField(
        label="To", required=False, widget=DatePicker(), help_text="Cables sent on or before."
    ),
}
