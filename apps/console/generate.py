"""The Generate form of a dataset: seed, scale, rows per table and reference time in, a queued job out
(apps.generation.services.job_start, the same service and checks as `POST .../generate/`)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from rest_framework import serializers
from rest_framework.exceptions import APIException

from apps.generation import services
from apps.generation.api.serializers import ReferenceTimeField

from .base import problems_of
from .scoping import datasets_for

ROWS_PREFIX = "rows__"


class GenerateForm(forms.Form):
    seed = forms.IntegerField(required=False, min_value=0, max_value=2**63 - 1,
                              help_text="Empty: the dataset's default seed. The same seed gives the same rows.")
    rows_scale = forms.FloatField(initial=1.0, min_value=0.000001, max_value=1000,
                                  help_text="Multiplies the row count of every table that does not say "
                                            "`scale: false` and has no row count below.")
    reference_time = forms.CharField(
        required=False, max_length=64,
        help_text="Empty: now. An ISO 8601 time with its zone (2025-06-01T12:00:00Z) that `today` and relative "
                  "dates count from; with the same seed it regenerates a version byte for byte.")

    def __init__(self, *args, spec: dict, **kwargs):
        super().__init__(*args, **kwargs)
        # One optional row count per table that has its own size; a `{per: ...}` table follows its parent.
        for name, table in (spec.get("tables") or {}).items():
            if isinstance(table, dict) and isinstance(table.get("rows"), dict):
                continue
            self.fields[ROWS_PREFIX + name] = forms.IntegerField(
                required=False, min_value=0, label=f"Rows of {name}",
                help_text="Empty: the spec's count times the scale.")

    def clean_reference_time(self):
        text = self.cleaned_data["reference_time"].strip()
        if not text:
            return None
        try:
            return ReferenceTimeField().to_internal_value(text)
        except serializers.ValidationError as exc:
            raise forms.ValidationError(exc.detail) from None

    def rows(self) -> dict[str, int] | None:
        counts = {name.removeprefix(ROWS_PREFIX): value for name, value in self.cleaned_data.items()
                  if name.startswith(ROWS_PREFIX) and value is not None}
        return counts or None

    def field_of(self, path: str) -> str | None:
        """The form field a service problem's path names (`rows.orders` -> `rows__orders`)."""
        head, _, rest = path.partition(".")
        name = ROWS_PREFIX + rest.split(".")[0] if head == "rows" and rest else head
        return name if name in self.fields else None


def generate_view(request, model_admin, object_id):
    dataset = datasets_for(request.user).select_related("tenant").filter(pk=object_id).first() \
        if str(object_id).isdigit() else None
    if dataset is None:
        raise Http404
    if not model_admin.may(request, "generate", dataset):
        raise PermissionDenied
    form = GenerateForm(request.POST or None, initial={"seed": dataset.default_seed}, spec=dataset.spec)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.job_start(dataset=dataset, actor=request.user, seed=data["seed"],
                                     rows_scale=data["rows_scale"], rows=form.rows(),
                                     reference_time=data["reference_time"])
        except APIException as exc:
            for path, message in problems_of(exc):
                form.add_error(form.field_of(path), message)
        else:
            messages.success(request, f"Generating version {job.version.number} of {dataset}: "
                                      f"{job.rows_total:,} rows in {job.chunks_total} chunks.")
            return redirect("console:generation_generationjob_change", job.pk)
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "dataset": dataset,
               "form": form, "title": f"Generate a version of {dataset}"}
    return TemplateResponse(request, "console/datasets/generate.html", context)
