"""Filter choices scoped like the rows they filter.

django-filter builds a ModelChoiceFilter's choices from the related model's global queryset, so the browsable
API's filter form listed every tenant's datasets, and `?dataset=<id>` answered 200 for another tenant's id and
400 for a missing one. This backend narrows every model choice filter of every filterset, per request, through
the view's `scope_choices()` (the tenant and permission rule of the route), or to nothing when the view has none:
another tenant's id, a revoked dataset's id and a missing id all get the same 400.
"""

from django_filters.filters import QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend


class ScopedFilterBackend(DjangoFilterBackend):
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
