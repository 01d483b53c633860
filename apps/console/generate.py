"""The Generate form of a dataset: seed and scale in, a queued job out (apps.generation.services.job_start)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from rest_framework.exceptions import APIException

from apps.generation import services

from .base import problems_of
from .scoping import datasets_for


class GenerateForm(forms.Form):
    seed = forms.IntegerField(required=False, min_value=0, max_value=2**63 - 1,
                              help_text="Empty: the dataset's default seed. The same seed gives the same rows.")
    rows_scale = forms.FloatField(initial=1.0, min_value=0.000001, max_value=1000,
                                  help_text="Multiplies every table's row count (0.5 halves them, 10 gives ten times).")


def generate_view(request, model_admin, object_id):
    dataset = datasets_for(request.user).select_related("tenant").filter(pk=object_id).first() \
        if str(object_id).isdigit() else None
    if dataset is None:
        raise Http404
    if not model_admin.may(request, "generate", dataset):
        raise PermissionDenied
    form = GenerateForm(request.POST or None, initial={"seed": dataset.default_seed})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.job_start(dataset=dataset, actor=request.user, seed=data["seed"],
                                     rows_scale=data["rows_scale"])
        except APIException as exc:
            for path, message in problems_of(exc):
                field = path.split(".")[0]
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"Generating version {job.version.number} of {dataset}: "
                                      f"{job.rows_total:,} rows in {job.chunks_total} chunks.")
            return redirect("console:generation_generationjob_change", job.pk)
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "dataset": dataset,
               "form": form, "title": f"Generate a version of {dataset}"}
    return TemplateResponse(request, "console/datasets/generate.html", context)
