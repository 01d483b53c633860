"""The Preview button: the first rows of every table of the spec being edited; nothing is stored."""

from django.http import Http404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from apps.core.errors import ServiceValidationError
from apps.datasets.specs import generation_problems, parse_or_400, resolve_spec_input
from apps.generation.engine import generate_chunk, plan
from apps.generation.engine.errors import GenerationError
from apps.tenants.models import Tenant

from .base import problems_of
from .scoping import datasets_for, member_tenants
from .spec_lines import line_of

PREVIEW_ROWS = 10


def _tenant_for(request, object_id) -> Tenant:
    if object_id is not None:
        dataset = datasets_for(request.user).select_related("tenant").filter(pk=object_id).first()
        if dataset is None:
            raise Http404
        return dataset.tenant
    tenants = member_tenants(request.user)
    chosen = request.POST.get("tenant", "")
    tenant = tenants.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    return tenant or tenants.first()


@require_POST
def preview_view(request, object_id=None):
    tenant = _tenant_for(request, object_id)
    text = request.POST.get("spec", "")
    template = request.POST.get("template", "") if not text.strip() else ""
    context = {"rows": PREVIEW_ROWS}
    try:
        document, _ = resolve_spec_input(spec=text if text.strip() else None, template=template or None)
        spec = parse_or_400(document, max_rows=tenant.max_rows_per_version)
        engine_plan = plan(spec, seed=int(document.get("seed", 0) or 0))
        tables = []
        for table in engine_plan.table_order:
            stop = min(PREVIEW_ROWS, engine_plan.row_counts[table])
            try:
                rows = list(generate_chunk(engine_plan, table, 0, stop).rows()) if stop else []
            except GenerationError as exc:  # a row the document cannot make (e.g. a name no MRZ can hold)
                raise ServiceValidationError(generation_problems(exc)) from exc
            columns = list(rows[0]) if rows else []
            tables.append({"name": table, "total": engine_plan.row_counts[table], "columns": columns,
                           "rows": [[row.get(c) for c in columns] for row in rows]})
        context["tables"] = tables
    except ServiceValidationError as exc:
        context["problems"] = [
            {"path": path, "message": message,
             "line": line_of(text, path.partition(".")[2]) if path.startswith("spec") and text.strip() else None}
            for path, message in problems_of(exc)]
    return TemplateResponse(request, "console/datasets/preview.html", context)
