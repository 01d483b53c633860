"""Profiles: start one over samples, watch its progress, review its PII findings and the inferred spec (approve
category lists, edit the YAML), and create a dataset from it; every write through apps.profiling.services.

A profile holds its samples' statistics, so a member sees it only when they may view every one of its samples
(the API's rule, apps.profiling.permissions.profiles_allowed)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from apps.generation.engine import SpecError
from apps.generation.engine.spec import load_document
from apps.observability.console import events_table
from apps.observability.models import JobKind
from apps.profiling import services
from apps.profiling.infer import spec_yaml
from apps.profiling.models import FINISHED_STATUSES, Profile, ProfileStatus, Sample
from apps.profiling.permissions import sample_allowed_filter, user_may_sample
from apps.tenants.models import Role

from .base import ConsoleModelAdmin, problems_of, refusal_message
from .filters import TenantFilter
from .jobs import HTMX_STOP_POLLING
from .scoping import member_tenants
from .site import console_site


def _visible_samples(user, at_least=Role.VIEWER):
    return Sample.objects.filter(tenant__in=member_tenants(user, at_least=at_least)).filter(
        sample_allowed_filter(user=user, action="view"))


class ProfileStartForm(forms.Form):
    samples = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple,
                                             help_text="One sample a table, all of one team.")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["samples"].queryset = _visible_samples(user, Role.EDITOR).order_by("-id")

    def clean_samples(self):
        samples = list(self.cleaned_data["samples"])
        if len({s.tenant_id for s in samples}) > 1:
            raise forms.ValidationError("Pick samples of one team.")
        return samples


class ReviewForm(forms.Form):
    approved = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                         label="Category lists the spec may keep",
                                         help_text="Unticked: the categories become synthetic labels.")
    spec = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 24, "cols": 110,
                                                                         "class": "console-spec"}),
                           help_text="The inferred spec (YAML). Edits replace it; leave it as it is to keep it.")

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approved"].choices = [(c, c) for c in categories]


class DatasetForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Default: the spec's name.")


@admin.register(Profile, site=console_site)
class ProfileConsole(ConsoleModelAdmin):
    list_display = ["__str__", "tables", "status", "progress_percent", "created_at"]
    list_filter = ["status", TenantFilter]
    fields = ["status", "created_at"]
    readonly_fields = fields

    def scoped(self, request, queryset):
        queryset = super().scoped(request, queryset)
        visible = _visible_samples(request.user).values("pk")
        hidden = Profile.samples.through.objects.filter(profile_id=OuterRef("pk")).exclude(sample_id__in=visible)
        return queryset.exclude(Exists(hidden))

    def get_queryset(self, request):
        return self.scoped(request, Profile.objects.prefetch_related("samples"))

    @admin.display(description="tables")
    def tables(self, obj) -> str:
        return ", ".join(sorted(s.table_name for s in obj.samples.all()))

    @admin.display(description="progress")
    def progress_percent(self, obj) -> str:
        return f"{round(100 * obj.progress)}%"

    def has_add_permission(self, request) -> bool:
        return self.has_role(request, Role.EDITOR)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/progress/", wrap(self.progress_view), name=f"{prefix}_progress"),
            path("<path:object_id>/review/", wrap(require_POST(self.review_view)), name=f"{prefix}_review"),
            path("<path:object_id>/dataset/", wrap(require_POST(self.dataset_view)), name=f"{prefix}_dataset"),
            path("<path:object_id>/purge/", wrap(require_POST(self.purge_view)), name=f"{prefix}_purge"),
            path("<path:object_id>/cancel/", wrap(require_POST(self.cancel_view)), name=f"{prefix}_cancel"),
            *super().get_urls(),
        ]

    def _profile(self, request, object_id) -> Profile:
        profile = self.get_queryset(request).filter(pk=int(object_id) if str(object_id).isdigit() else -1).first()
        if profile is None:
            raise Http404
        return profile

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ProfileStartForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            samples = form.cleaned_data["samples"]
            try:
                profile = services.profile_create(tenant=samples[0].tenant, actor=request.user, samples=samples)
            except APIException as exc:
                form.add_error("samples", refusal_message(exc))
            else:
                messages.success(request, f"{profile} is queued; this page shows its progress.")
                return redirect("console:profiling_profile_change", profile.pk)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form,
                   "title": "Profile samples", "form_id": "profile-start-form", "submit": "Profile",
                   "intro": "The profile reads the samples in a queued job: statistics, keys, PII findings and an "
                            "inferred spec for you to review."}
        return TemplateResponse(request, "console/profiling/form.html", context)

    def _context(self, request, profile, review_form=None, dataset_form=None) -> dict:
        finished = profile.status in FINISHED_STATUSES
        editor = self.has_role(request, Role.EDITOR, profile)
        context = {"profile": profile, "finished": finished, "percent": round(100 * profile.progress),
                   "events": events_table(kind=JobKind.PROFILE, job_id=profile.pk),
                   "may_edit": editor, "may_purge": all(user_may_sample(user=request.user, sample=s, action="delete")
                                                        for s in profile.samples.all())}
        if profile.status == ProfileStatus.SUCCEEDED:
            result = profile.result
            categories = sorted(f"{t}.{c}" for t, info in result.get("tables", {}).items()
                                for c, ci in info["columns"].items() if ci.get("category") and ci["kind"] != "bool")
            context.update({
                "tables": [(name, info) for name, info in result.get("tables", {}).items()],
                "findings": result.get("pii", []),
                "foreign_keys": result.get("foreign_keys", []),
                "review_form": review_form or ReviewForm(initial={"approved": profile.approved_categories,
                                                                  "spec": spec_yaml(profile.spec)},
                                                         categories=categories),
                "dataset_form": dataset_form or DatasetForm(),
            })
        return context

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The profile's page: progress, statistics, PII findings and the review forms (nothing of the model
        # is edited through the admin's own form).
        if request.method != "GET":
            raise PermissionDenied
        return self._render(request, self._profile(request, object_id))

    def progress_view(self, request, object_id):
        profile = self._profile(request, object_id)
        context = self._context(request, profile)
        response = TemplateResponse(request, "console/profiling/progress.html", context)
        if context["finished"] and request.headers.get("HX-Request"):
            # The finished page has the review forms: reload it whole.
            response = TemplateResponse(request, "console/profiling/progress.html", context,
                                        status=HTMX_STOP_POLLING, headers={
                                            "HX-Redirect": reverse("console:profiling_profile_change",
                                                                   args=[profile.pk])})
        return response

    def _render(self, request, profile, **forms_):
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": profile,
                   "title": str(profile), **self._context(request, profile, **forms_)}
        return TemplateResponse(request, "console/profiling/profile_page.html", context)

    def review_view(self, request, object_id):
        profile = self._profile(request, object_id)
        if not self.has_role(request, Role.EDITOR, profile):
            raise PermissionDenied
        categories = self._context(request, profile).get("review_form")
        choices = [c for c, _ in categories.fields["approved"].choices] if categories else []
        form = ReviewForm(request.POST, categories=choices)
        if not form.is_valid():
            return self._render(request, profile, review_form=form)
        approved = form.cleaned_data["approved"]
        # Browsers send a textarea with CRLF line ends: compare the text, not its line ends.
        text = form.cleaned_data["spec"].replace("\r\n", "\n").strip()
        spec = None
        if text and text != spec_yaml(profile.spec).strip():
            try:
                spec = load_document(text)
            except SpecError as exc:
                form.add_error("spec", "; ".join(str(p) for p in exc.problems))
                return self._render(request, profile, review_form=form)
            if not isinstance(spec, dict):
                form.add_error("spec", "must be a mapping (a schema-language document)")
                return self._render(request, profile, review_form=form)
        try:
            if approved != profile.approved_categories and spec is None:
                services.profile_review(profile=profile, actor=request.user, approved_categories=approved)
            elif spec is not None:
                services.profile_review(profile=profile, actor=request.user, approved_categories=approved, spec=spec)
        except APIException as exc:
            form.add_error("spec", refusal_message(exc))
            return self._render(request, profile, review_form=form)
        messages.success(request, "The reviewed spec is saved.")
        return redirect("console:profiling_profile_change", profile.pk)

    def dataset_view(self, request, object_id):
        profile = self._profile(request, object_id)
        if not self.has_role(request, Role.EDITOR, profile):
            raise PermissionDenied
        form = DatasetForm(request.POST)
        if form.is_valid():
            try:
                dataset = services.profile_dataset(profile=profile, actor=request.user,
                                                   name=form.cleaned_data["name"])
            except APIException as exc:
                for path_, message in problems_of(exc):
                    form.add_error("name" if path_ == "name" else None, f"{path_}: {message}" if path_ else message)
            else:
                messages.success(request, f"Dataset {dataset.name} is created from the reviewed spec.")
                return redirect("console:datasets_dataset_change", dataset.pk)
        return self._render(request, profile, dataset_form=form)

    def purge_view(self, request, object_id):
        profile = self._profile(request, object_id)
        if not all(user_may_sample(user=request.user, sample=s, action="delete") for s in profile.samples.all()):
            raise PermissionDenied
        self.run_service(request, lambda: services.profile_purge(profile=profile, actor=request.user),
                         f"{profile} and its samples are purged.")
        return redirect("console:profiling_profile_changelist")

    def cancel_view(self, request, object_id):
        profile = self._profile(request, object_id)
        if not self.has_role(request, Role.EDITOR, profile):
            raise PermissionDenied
        self.run_service(request, lambda: services.profile_cancel(profile=profile, actor=request.user),
                         f"{profile} is cancelled.")
        return redirect("console:profiling_profile_change", profile.pk)
