from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.api.viewsets import TenantScopedAPIView, TenantScopedGenericViewSet
from apps.core.errors import ServiceValidationError
from apps.core.pagination import PAGING_PARAMETERS, SafeCursorMixin
from apps.core.permissions import IsTenantAdmin, IsTenantEditor, IsTenantViewer
from apps.generation.engine import generate_chunk, parse_spec, plan, validate_spec
from apps.generation.engine.builtin_templates import UnknownTemplate, list_templates, template_source
from apps.generation.engine.errors import GenerationError
from apps.profiling import quality_service
from apps.profiling.quality_api import QUALITY_PARAMETERS, QualityStateSerializer, quality_response

from .. import selectors, services
from ..models import Dataset, DatasetVersion, Record
from ..selectors import DATASET_LIST_COLUMNS
from ..specs import generation_problems, parse_or_400, resolve_spec_input, spec_mapping
from .filters import DATA_FILTER_PARAMETER, data_lookups
from .serializers import (
    RECORD_PAGE_COLUMNS,
    DatasetCreateSerializer,
    DatasetPermissionsSerializer,
    DatasetSerializer,
    DatasetUpdateSerializer,
    PreviewInputSerializer,
    PreviewSerializer,
    RecordSerializer,
    SpecInputSerializer,
    TemplateDetailSerializer,
    TemplateSummarySerializer,
    ValidationResultSerializer,
    VersionSerializer,
    dataset_rows,
    record_rows,
)

TABLE_PARAMETER = OpenApiParameter("table", str, OpenApiParameter.QUERY, required=True,
                                   description="The table whose records to read.")


class DatasetViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Datasets of the tenant that the caller may view."""

    serializer_class = DatasetSerializer
    queryset = Dataset.all_objects.all()
    tenant_field = "tenant"
    dataset_path = ""
    object_permission = {"partial_update": "change", "destroy": "delete", "restore": "delete"}
    trash_actions = frozenset({"restore"})
    filterset_fields = ["template_name"]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "id"]
    ordering = "-id"

    def get_permissions(self):
        if self.action == "create":
            return [IsTenantEditor()]
        if self.action in ("permissions",) and self.request.method == "PUT":
            return [IsTenantAdmin()]
        return [IsTenantViewer()]

    def narrow(self, queryset):
        return queryset if self.action == "list" else queryset.select_related("created_by")

    def list(self, request, *args, **kwargs):
        # The page reads the columns DatasetSerializer shows, as dicts (the creator's name by a join), and
        # dataset_rows represents them as the serializer does: model instances and DRF's field walk over 50
        # datasets cost more than the rest of the request. With no filter, search or ordering asked for, the
        # rows are one prepared statement (selectors.dataset_list_page: get_queryset()'s rows, tested to be the
        # same); otherwise get_queryset() and the filters as for every list.
        if request.query_params.keys() <= PAGING_PARAMETERS:
            rows = selectors.dataset_list_page(user=request.user, tenant=self.tenant)
        else:
            rows = self.filter_queryset(self.get_queryset()).values(*DATASET_LIST_COLUMNS)
        return self.get_paginated_response(dataset_rows(self.paginate_queryset(rows)))

    @extend_schema(request=DatasetCreateSerializer, responses={201: DatasetSerializer})
    def create(self, request, *args, **kwargs):
        payload = DatasetCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        dataset = services.dataset_create(tenant=self.tenant, actor=request.user, **payload.validated_data)
        return Response(DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        return Response(DatasetSerializer(self.get_object()).data)

    @extend_schema(request=DatasetUpdateSerializer, responses={200: DatasetSerializer})
    def partial_update(self, request, *args, **kwargs):
        dataset = self.get_object()
        payload = DatasetUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        dataset = services.dataset_update(dataset=dataset, actor=request.user, **payload.validated_data)
        return Response(DatasetSerializer(dataset).data)

    def destroy(self, request, *args, **kwargs):
        services.dataset_delete(dataset=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: DatasetSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, *args, **kwargs):
        """Bring a dataset back from the trash (the same as `trash/datasets/{id}/restore/`)."""
        dataset = self.get_object()
        return Response(DatasetSerializer(services.dataset_restore(dataset=dataset, actor=request.user)).data)

    @extend_schema(methods=["GET"], responses=DatasetPermissionsSerializer)
    @extend_schema(methods=["PUT"], request=DatasetPermissionsSerializer, responses=DatasetPermissionsSerializer)
    @action(detail=True, methods=["get", "put"])
    def permissions(self, request, *args, **kwargs):
        dataset = self.get_object()
        # Only PUT writes (and get_permissions asks admin for PUT only): HEAD is routed here as GET is.
        if request.method != "PUT":
            return Response(services.dataset_permissions_describe(dataset=dataset))
        payload = DatasetPermissionsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.dataset_permissions_set(dataset=dataset, actor=request.user, **payload.validated_data)
        return Response(result)


class TrashDatasetViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Datasets in the trash (restorable until the purge)."""

    serializer_class = DatasetSerializer
    queryset = Dataset.all_objects.all()
    tenant_field = "tenant"
    dataset_path = ""
    trash = True
    object_permission = {"restore": "delete"}
    ordering = "-id"
    filter_backends = []

    @extend_schema(request=None, responses={200: DatasetSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, *args, **kwargs):
        dataset = self.get_object()
        return Response(DatasetSerializer(services.dataset_restore(dataset=dataset, actor=request.user)).data)


class VersionViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Generated versions of a dataset, newest first."""

    serializer_class = VersionSerializer
    queryset = DatasetVersion.all_objects.all()
    tenant_field = "tenant"
    dataset_path = "dataset"
    parent_dataset_kwarg = "dataset_pk"
    object_permission = {"destroy": "delete", "restore": "delete"}
    trash_actions = frozenset({"restore"})
    lookup_field = "number"
    ordering = "-number"
    filter_backends = []

    def retrieve(self, request, *args, **kwargs):
        return Response(VersionSerializer(self.get_object()).data)

    def destroy(self, request, *args, **kwargs):
        services.version_delete(version=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: VersionSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, *args, **kwargs):
        version = self.get_object()
        return Response(VersionSerializer(services.version_restore(version=version, actor=request.user)).data)

    @extend_schema(request=None, parameters=QUALITY_PARAMETERS,
                   responses={200: QualityStateSerializer, 202: QualityStateSerializer})
    @action(detail=True, methods=["get"])
    def quality(self, request, *args, **kwargs):
        """The quality and privacy report against the sample (202 with progress while it is computed)."""
        version = self.get_object()
        return quality_response(request, version, quality_service.quality_request(version=version,
                                                                                  user=request.user))


class RecordPagination(SafeCursorMixin, CursorPagination):
    ordering = "row_index"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class RecordViewSet(TenantScopedGenericViewSet, mixins.ListModelMixin):
    """Records of one table of a version, in row order; filter on fields of `data`."""

    serializer_class = RecordSerializer
    queryset = Record.all_objects.all()
    tenant_field = "version__tenant"
    dataset_path = "version__dataset"
    parent_dataset_kwarg = "dataset_pk"
    object_permission = {"destroy": "change", "restore": "change"}
    trash_actions = frozenset({"restore"})
    lookup_field = "row_index"
    lookup_value_regex = r"[0-9]+"
    pagination_class = RecordPagination
    filter_backends = []

    def _version(self):
        version = getattr(self, "_current_version", None)
        if version is None:
            version = selectors.version_of(dataset=self.parent_dataset, number=self.kwargs["number"])
            self._current_version = version
        return version

    def _table(self, version) -> str:
        table = self.request.query_params.get("table", "")
        known = list(version.row_counts)
        if table not in known:
            message = f"unknown table '{table}'" if table else "required"
            raise ServiceValidationError([("table", f"{message}; this version has {', '.join(known)}")])
        return table

    def get_serializer_context(self):
        context = super().get_serializer_context()
        version = getattr(self, "_current_version", None)
        if version is not None:
            table = self.request.query_params.get("table", "")
            context["columns"] = list(version.spec_snapshot.get("tables", {}).get(table, {}).get("columns", {}))
        return context

    def narrow(self, queryset):
        # The selector carries the reading rules of a version's records; the base still ANDs the scope on.
        version = self._version()
        queryset = selectors.records_of(version=version, table=self._table(version), trash=self._in_trash())
        if self.action == "list":
            table = self.request.query_params.get("table", "")
            columns = version.spec_snapshot.get("tables", {}).get(table, {}).get("columns", {})
            queryset = queryset.filter(**data_lookups(self.request.query_params, columns=columns))
        return queryset

    @extend_schema(parameters=[TABLE_PARAMETER, DATA_FILTER_PARAMETER])
    def list(self, request, *args, **kwargs):
        # A page holds up to 1000 rows: it reads only the columns it shows, as dicts, and builds each row with
        # record_rows (what RecordSerializer gives), since a serializer per row cost more than the page's query.
        # The page itself is one prepared statement (selectors.record_page) when the filters have a prepared
        # form: the rows of this version and table, the version found under the parent dataset, which was looked
        # up in this tenant among the datasets the caller may view; the queryset answers every other filter.
        version = self._version()
        table = self._table(version)
        if version.tenant_id != self.tenant.pk or version.dataset_id != self.parent_dataset.pk:
            raise Http404  # never: the version was looked up by its dataset; the scope is checked, not assumed
        selectors.readable(version)  # a cancelled version: 409 before its filters are read, as the queryset answers
        columns = version.spec_snapshot.get("tables", {}).get(table, {}).get("columns", {})
        rows = selectors.record_page(version=version, table=table,
                                     lookups=data_lookups(request.query_params, columns=columns))
        if rows is None:
            rows = self.filter_queryset(self.get_queryset()).values(*RECORD_PAGE_COLUMNS)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(record_rows(page, columns=self.get_serializer_context().get("columns")))

    @extend_schema(parameters=[TABLE_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        return Response(RecordSerializer(record, context=self.get_serializer_context()).data)

    @extend_schema(parameters=[TABLE_PARAMETER])
    def destroy(self, request, *args, **kwargs):
        services.record_delete(record=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[TABLE_PARAMETER], request=None, responses={200: RecordSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, *args, **kwargs):
        record = self.get_object()
        return Response(RecordSerializer(services.record_restore(record=record, actor=request.user)).data)


class PreviewView(TenantScopedAPIView):
    """A spec in, the first rows of every table out; nothing is stored."""

    permission_classes = [IsTenantViewer]

    @extend_schema(request=PreviewInputSerializer, responses=PreviewSerializer)
    def post(self, request, *args, **kwargs):
        payload = PreviewInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        document, _ = resolve_spec_input(spec=data.get("spec"), template=data.get("template"))
        spec = parse_or_400(document, max_rows=self.tenant.max_rows_per_version)
        seed = data.get("seed", int(document.get("seed", 0) or 0))
        engine_plan = plan(spec, seed=seed)
        tables = {}
        try:
            for table in engine_plan.table_order:
                stop = min(data["rows"], engine_plan.row_counts[table])
                tables[table] = list(generate_chunk(engine_plan, table, 0, stop).rows()) if stop else []
        except GenerationError as exc:  # a row the document cannot make (e.g. a name no MRZ can hold)
            raise ServiceValidationError(generation_problems(exc)) from exc
        return Response({"spec_hash": spec.hash, "seed": seed, "row_counts": engine_plan.row_counts,
                         "tables": tables})


class SpecValidateView(TenantScopedAPIView):
    """A spec in, every problem out (path and reason); 200 whether or not it is valid."""

    permission_classes = [IsTenantViewer]

    @extend_schema(request=SpecInputSerializer, responses=ValidationResultSerializer)
    def post(self, request, *args, **kwargs):
        payload = SpecInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            document, _ = resolve_spec_input(spec=payload.validated_data.get("spec"),
                                             template=payload.validated_data.get("template"))
        except ServiceValidationError as exc:
            if any(path == "template" for path, _ in exc.problems):
                raise
            return Response({"valid": False, "spec_hash": None,
                             "errors": [{"path": p, "message": m} for p, m in exc.problems]})
        problems = validate_spec(document, max_rows=self.tenant.max_rows_per_version)
        spec_hash = None if problems else parse_spec(document).hash
        return Response({"valid": not problems, "spec_hash": spec_hash,
                         "errors": [{"path": f"spec.{p.path}" if p.path else "spec", "message": p.message}
                                    for p in problems]})


class TemplateViewSet(viewsets.ViewSet):
    """The built-in schema templates."""

    permission_classes = [IsAuthenticated]
    lookup_field = "name"
    lookup_value_regex = r"[a-z0-9-]+"

    @extend_schema(responses=TemplateSummarySerializer(many=True))
    def list(self, request):
        return Response(list_templates())

    @extend_schema(responses=TemplateDetailSerializer)
    def retrieve(self, request, name=None):
        try:
            source = template_source(name)
        except UnknownTemplate as exc:
            raise Http404(str(exc)) from exc
        summary = next(item for item in list_templates() if item["name"] == name)
        return Response({**summary, "source": source, "spec": spec_mapping(source)})

