"""Admin change lists filter only by the filters their admin declares.

Why: Django's ``ModelAdmin.lookup_allowed`` lets the URL filter a change list by any
lookup on the model's own fields: ``?raw_text__icontains=WORD`` lists a cable or not as
its text holds the word, whatever the reader's clearance, and a word at a time gives the
text back.  Every admin of the project therefore takes :class:`DeclaredLookupsOnly`:
the URL may use the fields of ``list_filter`` and ``date_hierarchy`` (followed by lookups
and the related object's id only: no path on to another field), the parameter of a
``SimpleListFilter``, and the lookups a raw-id popup's ``limit_choices_to`` needs;
anything else is refused (Django answers with the change list's error page, and no
query runs).  ``tests/test_admin_lookups.py`` holds every registered admin to it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import SimpleListFilter, widgets
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

# What may follow a declared field: the lookups and transforms the built-in list filters
# and the date hierarchy write (``__exact``, ``__isnull``, ``__id__exact``, ``__gte``...).
_SUFFIXES = frozenset(
    {
        "exact",
        "iexact",
        "isnull",
        "in",
        "gt",
        "gte",
        "lt",
        "lte",
        "range",
        "year",
        "month",
        "day",
        "date",
        "id",
        "pk",
    }
)


class DeclaredLookupsOnly:
    """Mixin for ``ModelAdmin``: URL lookups only on the declared filters (see the module)."""

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest | None = None) -> bool:
        if lookup in self._popup_lookups(value):
            return True
        if not _declared(lookup, self._declared_filters(request)):
            return False
        return super().lookup_allowed(lookup, value, request)  # type: ignore[misc]

    def _declared_filters(self, request: HttpRequest | None) -> set[str]:
        items = self.get_list_filter(request) if request is not None else self.list_filter  # type: ignore[attr-defined]
        declared = {self.date_hierarchy} if self.date_hierarchy else set()  # type: ignore[attr-defined]
        for item in items:
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                declared.add(item.parameter_name)
            elif isinstance(item, (list, tuple)):
                declared.add(item[0])
            else:
                declared.add(item)
        return declared

    def _popup_lookups(self, value: Any) -> set[str]:
        """The lookups of a raw-id popup's ``limit_choices_to`` (Django allows those)."""
        allowed = set()
        for fk_lookup in self.model._meta.related_fkey_lookups:  # type: ignore[attr-defined]
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            for name, wanted in widgets.url_params_from_lookup_dict(fk_lookup).items():
                if wanted == value:
                    allowed.add(name)
        return allowed


def _declared(lookup: str, declared: set[str]) -> bool:
    for field in declared:
        if lookup == field:
            return True
        prefix = field + LOOKUP_SEP
        if lookup.startswith(prefix):
            rest = lookup[len(prefix) :].split(LOOKUP_SEP)
            if all(part in _SUFFIXES for part in rest):
                return True
    return False
