"""Datasets in the console: list, create from a template or a spec, edit, trash and restore, preview,
generate and the dataset's permissions; every write through apps.datasets.services."""

import json

import yaml
from django import forms
from django.contrib import admin
from django.utils.html import format_html

from apps.datasets import services
from apps.datasets.models import Dataset
from apps.tenants.models import Role

from .base import ConsoleModelAdmin, form_for_user
from .filters import TenantFilter, TrashFilter
from .forms import SpecField, template_choices
from .scoping import member_tenants
from .site import console_site
from .spec_lines import line_of


def spec_text(document) -> str:
    """A stored spec as the YAML a person edits (key order kept)."""
    return yaml.safe_dump(json.loads(json.dumps(document)), sort_keys=False, allow_unicode=True, width=100)


class SpecTextForm(forms.ModelForm):
    """The spec is edited as text; the model's JSON field never validates it (the service parses it)."""

    def _get_validation_exclusions(self):
        return {*super()._get_validation_exclusions(), "spec"}

    def _post_clean(self):
        text = self.cleaned_data.get("spec") if hasattr(self, "cleaned_data") else None
        super()._post_clean()
        if hasattr(self, "cleaned_data") and text is not None:
            self.cleaned_data["spec"] = text


class DatasetAddForm(SpecTextForm):
    tenant = forms.ModelChoiceField(queryset=None, empty_label=None, help_text="The team that owns it.")
    template = forms.ChoiceField(required=False, widget=forms.RadioSelect,
                                 help_text="Start from a built-in template, or leave empty and write a spec below.")
    spec = SpecField(required=False, label="Spec (YAML or JSON)",
                     help_text="Used when no template is picked. See the schema language reference.")

    class Meta:
        model = Dataset
        fields = ["tenant", "name", "description"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = member_tenants(user, at_least=Role.EDITOR)
        self.fields["template"].choices = [("", "No template: write a spec")] + template_choices()
        self.fields["name"].required = False
        self.fields["name"].help_text = "Leave empty to use the spec's own name."

    def clean(self):
        data = super().clean()
        if not data.get("template") and not (data.get("spec") or "").strip():
            raise forms.ValidationError("Pick a template from the gallery, or write a spec.")
        if data.get("template") and (data.get("spec") or "").strip():
            self.add_error("spec", "Give either a template or a spec, not both: clear this box to use the template.")
        return data


class DatasetChangeForm(SpecTextForm):
    spec = SpecField(label="Spec (YAML or JSON)")

    class Meta:
        model = Dataset
        fields = ["name", "description", "default_seed"]


@admin.register(Dataset, site=console_site)
class DatasetConsole(ConsoleModelAdmin):
    dataset_path = ""
    list_display = ["name", "tenant", "template_name", "created_at", "in_trash"]
    list_filter = [TrashFilter, TenantFilter, "template_name"]
    list_select_related = ["tenant"]
    search_fields = ["name", "description"]
    actions = ["move_to_trash", "restore"]
    add_form_template = "console/datasets/change_form.html"
    change_form_template = "console/datasets/change_form.html"

    def get_queryset(self, request):
        return self.scoped(request, Dataset.all_objects.all())

    @admin.display(boolean=True, description="in trash")
    def in_trash(self, obj) -> bool:
        return obj.deleted_at is not None

    # ----- permissions: the API's (editors create; the dataset's own grants decide the rest)
    def has_add_permission(self, request) -> bool:
        return self.has_role(request, Role.EDITOR)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is None:
            return self.has_role(request, Role.EDITOR)
        return obj.deleted_at is None and self.may(request, "change", obj)

    # ----- forms
    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = DatasetChangeForm if obj is not None else DatasetAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form

        return form_for_user(form, request.user)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["tenant", "name", "description", "template", "spec"]
        if not self.has_change_permission(request, obj):
            return ["name", "tenant", "description", "default_seed", "template_name", "spec_view"]
        return ["name", "description", "default_seed", "spec"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return ["name", "tenant", "description", "default_seed", "template_name", "spec_view"]
        return []

    @admin.display(description="Spec")
    def spec_view(self, obj):
        return format_html('<pre class="console-spec">{}</pre>', spec_text(obj.spec))

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("template", request.GET.get("template", ""))
        return initial

    def describe_problem(self, request, path, message):
        field, text = super().describe_problem(request, path, message)
        if field == "spec":
            line = line_of(request.POST.get("spec", ""), path.partition(".")[2])
            if line is not None:
                text = f"line {line}: {text}"
        return field, text

    # ----- writes, through the services
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.dataset_create(
                tenant=data["tenant"], actor=request.user, name=data.get("name") or "",
                description=data.get("description") or "", spec=(data.get("spec") or None) if not data.get(
                    "template") else None, template=data.get("template") or None)
            obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})
            return
        changes = {field: data[field] for field in form.changed_data if field in ("name", "description",
                                                                                  "default_seed")}
        if "spec" in form.changed_data:
            changes["spec"] = data["spec"]
        dataset = Dataset.objects.get(pk=obj.pk)
        services.dataset_update(dataset=dataset, actor=request.user, **changes)

    def save_related(self, request, form, formsets, change):
        """Nothing related is saved by the form: the services wrote everything."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        if obj is not None and "spec" in form.fields and not form.is_bound:
            form.initial["spec"] = spec_text(obj.spec)
        context["console_dataset"] = obj
        context["console_may_generate"] = obj is not None and obj.deleted_at is None and self.may(
            request, "generate", obj)
        context["console_is_admin"] = obj is not None and self.has_role(request, Role.ADMIN, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # ----- the dataset's own pages
    def get_urls(self):
        from django.urls import path

        from .generate import generate_view
        from .permissions import permissions_view
        from .preview import preview_view

        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("preview/", wrap(preview_view), name=f"{prefix}_preview"),
            path("<path:object_id>/preview/", wrap(preview_view), name=f"{prefix}_preview_saved"),
            path("<path:object_id>/generate/", wrap(lambda r, object_id: generate_view(r, self, object_id)),
                 name=f"{prefix}_generate"),
            path("<path:object_id>/permissions/", wrap(lambda r, object_id: permissions_view(r, self, object_id)),
                 name=f"{prefix}_permissions"),
            *super().get_urls(),
        ]

    # ----- trash
    @admin.action(description="Move selected datasets to the trash")
    def move_to_trash(self, request, queryset):
        for dataset in queryset.filter(deleted_at__isnull=True):
            if not self.may(request, "delete", dataset):
                self.message_user(request, f"{dataset}: you do not have the 'delete' permission on it.", "error")
                continue
            self.run_service(request, lambda d=dataset: services.dataset_delete(dataset=d, actor=request.user),
                             f"{dataset} is in the trash; restore it from the list (filter: in trash).")

    @admin.action(description="Restore selected datasets from the trash")
    def restore(self, request, queryset):
        for dataset in queryset.filter(deleted_at__isnull=False):
            if not self.may(request, "delete", dataset):
                self.message_user(request, f"{dataset}: you do not have the 'delete' permission on it.", "error")
                continue
            self.run_service(request, lambda d=dataset: services.dataset_restore(dataset=d, actor=request.user),
                             f"{dataset} is restored.")
