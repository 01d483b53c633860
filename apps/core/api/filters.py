"""Filter choices scoped like the rows they filter.

django-filter builds a ModelChoiceFilter's choices from the related model's global queryset, so the browsable
API's filter form listed every tenant's datasets, and `?dataset=<id>` answered 200 for another tenant's id and
400 for a missing one. This backend narrows every model choice filter of every filterset, per request, through
the view's `scope_choices()` (the tenant and permission rule of the route), or to nothing when the view has none:
another tenant's id, a revoked dataset's id and a missing id all get the same 400.

A request that names none of the route's filters is not filtered, and builds no filterset: with no value, every
filter leaves the rows as they are, and building the filterset (a class per request for `filterset_fields`) and
its scoped choices cost more than the rest of a list.
"""

from django_filters.filters import QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend


def _filter_names(view) -> list[str]:
    """The names the route's filters are asked by (a filter's query parameters start with its name)."""
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        return list(filterset_class.base_filters)
    return list(getattr(view, "filterset_fields", None) or ())


class ScopedFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        names = _filter_names(view)
        if not any(key.startswith(name) for key in request.query_params for name in names):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        scope = getattr(view, "scope_choices", None)
        for filter_ in filterset.filters.values():
            if not isinstance(filter_, QuerySetRequestMixin):
                continue
            choices = filter_.get_queryset(request)
            filter_.queryset = scope(choices) if scope is not None else choices.none()
            # A form field built earlier (e.g. by schema generation) would still hold the global queryset.
            filter_.__dict__.pop("_field", None)
        return filterset
