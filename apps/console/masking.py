"""Masking in the console: rules documents (list, write in YAML, refusals shown by path), the team's masking
key (admins: make or rotate, the secret shown once) and the Run form that starts a masking job from a rules
document and a source connection. Every write goes through apps.masking.services / jobs, as on the API."""

from __future__ import annotations

import json

import yaml
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from rest_framework.exceptions import APIException

from apps.core.errors import ServiceValidationError
from apps.exports.models import TargetConnection
from apps.masking import jobs, selectors, services
from apps.masking.engine import RulesError
from apps.masking.engine.rules import load_rules_text
from apps.masking.models import MaskingKey, MaskingRuleSet
from apps.tenants.models import Role

from .base import ConsoleModelAdmin, form_for_user, problems_of
from .filters import TenantFilter
from .scoping import member_tenants
from .site import console_site

EXAMPLE = """tables:
  customers:
    columns:
      id: {type: integer, rule: format_preserving}
      name: {rule: fake, provider: name}
      email: {rule: derive, template: "{name}@example.com", slug: true, unique: true}
      iban: {rule: format_preserving, format: iban}
"""


class RuleSetForm(forms.ModelForm):
    tenant = forms.ModelChoiceField(queryset=None, label="Team")
    document = forms.CharField(widget=forms.Textarea(attrs={"rows": 22, "cols": 100, "class": "console-code"}),
                               help_text="The masking rules in YAML or JSON (docs/masking.md).", initial=EXAMPLE)

    class Meta:
        model = MaskingRuleSet
        fields = ["tenant", "name", "document"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = member_tenants(user, at_least=Role.EDITOR)
        if self.instance.pk:
            self.fields.pop("tenant")
            if not self.is_bound:
                self.initial["document"] = yaml.safe_dump(self.instance.document, sort_keys=False)

    def clean_document(self):
        try:
            return load_rules_text(self.cleaned_data["document"])
        except RulesError as exc:
            raise forms.ValidationError("; ".join(str(p) for p in exc.problems)) from None

    def _post_clean(self):
        """The service validates the document and the name (shown on the form with their paths)."""


@admin.register(MaskingRuleSet, site=console_site)
class MaskingRuleSetConsole(ConsoleModelAdmin):
    form = RuleSetForm
    change_form_template = "console/masking/change_form.html"
    list_display = ["name", "tenant", "tables", "created_by", "updated_at"]
    list_filter = [TenantFilter]
    actions = None

    def get_queryset(self, request):
        return self.scoped(request, MaskingRuleSet.objects.select_related("tenant", "created_by"))

    @admin.display(description="Tables")
    def tables(self, obj):
        return ", ".join(sorted((obj.document or {}).get("tables", {}))) or "-"

    def has_add_permission(self, request) -> bool:
        return self.has_role(request, Role.EDITOR)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_role(request, Role.EDITOR, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        return form_for_user(form, request.user)

    def get_fields(self, request, obj=None):
        return ["name", "document"] if obj is not None else ["tenant", "name", "document"]

    def get_changeform_initial_data(self, request):
        """`?profile=<id>` on the add page: the form pre-filled with the rules suggested from that profile (a
        draft: nothing is saved until the user reviews and saves it)."""
        initial = super().get_changeform_initial_data(request)
        profile_id = request.GET.get("profile", "")
        if not profile_id:
            return initial
        from apps.profiling.models import Profile

        profile = Profile.objects.filter(pk=int(profile_id) if profile_id.isdigit() else -1,
                                         tenant__in=member_tenants(request.user, at_least=Role.EDITOR)).first()
        try:
            if profile is None:
                raise ServiceValidationError([("profile", "no such profile in this tenant")])
            document, _ = selectors.rules_suggested(tenant=profile.tenant, user=request.user, profile=profile.pk)
        except APIException as exc:
            messages.warning(request, "No suggestion: " + "; ".join(f"{p}: {m}" if p else m
                                                                   for p, m in problems_of(exc)))
            return initial
        messages.info(request, f"Rules suggested from {profile}'s findings: review them, then save.")
        return {**initial, "tenant": profile.tenant_id, "name": f"suggested from profile {profile.pk}",
                "document": yaml.safe_dump(document, sort_keys=False, allow_unicode=True)}

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.rule_set_update(rule_set=MaskingRuleSet.objects.get(pk=obj.pk), actor=request.user,
                                     name=data["name"], document=data["document"])
            return
        created = services.rule_set_create(tenant=data["tenant"], actor=request.user, name=data["name"],
                                           document=data["document"])
        obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})

    def save_related(self, request, form, formsets, change):
        """Nothing related is saved by the form: the service wrote everything."""

    def delete_model(self, request, obj):
        services.rule_set_delete(rule_set=obj, actor=request.user)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["console_rule_set"] = obj
        context["console_may_run"] = obj is not None and self.has_role(request, Role.ADMIN, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        from django.urls import path

        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [path("<path:object_id>/run/", wrap(lambda r, object_id: run_view(r, self, object_id)),
                     name=f"{prefix}_run"), *super().get_urls()]


class RunForm(forms.Form):
    source = forms.ModelChoiceField(queryset=None, required=False, help_text="The database to read (read only).")
    tables = forms.CharField(required=False, help_text="Comma-separated source tables; foreign keys decide the "
                                                       "order.")
    samples = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Or, instead of a database: uploaded samples (each is the table it was uploaded as).")
    name = forms.CharField(required=False, max_length=200, help_text="Name of the new dataset (empty: a default).")

    def __init__(self, *args, tenant, user, **kwargs):
        from apps.profiling.selectors import samples_visible

        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = TargetConnection.objects.filter(tenant=tenant)
        self.fields["samples"].queryset = samples_visible(user=user, tenant=tenant).order_by("table_name", "pk")
        self.fields["samples"].label_from_instance = lambda s: f"{s.table_name} (sample {s.pk}, {s.row_count:,} rows)"

    def clean(self):
        data = super().clean()
        if data.get("samples") and (data.get("source") or data.get("tables")):
            self.add_error("samples", "give either samples, or a source and its tables")
        elif not data.get("samples") and not (data.get("source") and data.get("tables")):
            self.add_error(None, "give a source and its tables, or samples")
        return data

    def source_body(self) -> dict:
        data = self.cleaned_data
        if data.get("samples"):
            return {"samples": [s.pk for s in data["samples"]]}
        return {"target": data["source"].pk, "tables": [t.strip() for t in data["tables"].split(",") if t.strip()]}

    def field_of(self, path: str) -> str | None:
        """The field a service problem's path names: source.target -> source, source.tables.N -> tables."""
        if path.startswith("source.tables"):
            return "tables"
        if path.startswith("source.samples"):
            return "samples"
        return "source" if path.startswith("source") else None


def run_view(request, model_admin, object_id):
    rule_set = model_admin.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
    if rule_set is None:
        raise Http404
    if not model_admin.has_role(request, Role.ADMIN, rule_set):
        raise PermissionDenied
    form = RunForm(request.POST or None, tenant=rule_set.tenant, user=request.user)
    if request.method == "POST" and form.is_valid():
        source = form.source_body()
        try:
            job = jobs.masking_job_start(tenant=rule_set.tenant, actor=request.user, rules=rule_set.document,
                                         source=source, name=form.cleaned_data["name"])
        except APIException as exc:
            for path, message in problems_of(exc):
                form.add_error(form.field_of(path), f"{path}: {message}" if path else message)
        else:
            count = len(source.get("tables") or source.get("samples"))
            messages.success(request, f"Masking {count} tables ({job.rows_total:,} rows) into {job.dataset}.")
            return redirect("console:generation_generationjob_change", job.pk)
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "rule_set": rule_set,
               "form": form, "title": f"Run {rule_set}", "rules_json": json.dumps(rule_set.document, indent=2)}
    return TemplateResponse(request, "console/masking/run.html", context)


class KeyForm(forms.ModelForm):
    tenant = forms.ModelChoiceField(queryset=None, label="Team",
                                    help_text="Makes the team's masking key, or rotates it: masks made under the new "
                                              "key differ from those made under the old one.")

    class Meta:
        model = MaskingKey
        fields = ["tenant"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "tenant" in self.fields:  # the add form; a key's own page shows it read only
            self.fields["tenant"].queryset = member_tenants(user, at_least=Role.ADMIN)

    def _post_clean(self):
        """The service makes the key."""


@admin.register(MaskingKey, site=console_site)
class MaskingKeyConsole(ConsoleModelAdmin):
    view_role = Role.ADMIN
    form = KeyForm
    list_display = ["key_id", "tenant", "active", "created_by", "created_at"]
    list_filter = [TenantFilter]
    actions = None

    def get_queryset(self, request):
        return self.scoped(request, MaskingKey.objects.select_related("tenant", "created_by"))

    def has_add_permission(self, request) -> bool:
        return self.has_role(request, Role.ADMIN)

    def get_fields(self, request, obj=None):
        return ["tenant"] if obj is None else ["key_id", "tenant", "active", "created_by", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["key_id", "tenant", "active", "created_by", "created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form

        return form_for_user(form, request.user)

    def save_model(self, request, obj, form, change):
        key, secret = services.masking_key_rotate(tenant=form.cleaned_data["tenant"], actor=request.user)
        obj.__dict__.update({k: v for k, v in key.__dict__.items() if not k.startswith("_")})
        request._masking_secret = secret

    def save_related(self, request, form, formsets, change):
        """Nothing related is saved by the form: the service wrote everything."""

    def response_add(self, request, obj, post_url_continue=None):
        # The secret exists only in this answer: never stored in clear, logged or put in a message cookie.
        context = {**self.admin_site.each_context(request), "key": obj, "secret": request._masking_secret,
                   "opts": self.opts, "title": "Masking key made"}
        return TemplateResponse(request, "console/masking/key_created.html", context)
