"""Members of the teams a member administers: invite, change role, remove, with the API's role rules
(apps.tenants.services decides; its refusals are shown on the form or as messages)."""

from django import forms
from django.contrib import admin
from django.db import transaction

from apps.tenants import services
from apps.tenants.models import Membership, Role

from .base import AdminRoleWrites, ConsoleModelAdmin, form_for_user
from .filters import TenantFilter
from .scoping import member_tenants
from .site import console_site


class InviteForm(forms.ModelForm):
    tenant = forms.ModelChoiceField(queryset=None, empty_label=None, label="Team")
    email = forms.EmailField(help_text="An account is made for a new address; they sign in once a password is set.")

    class Meta:
        model = Membership
        fields = ["tenant", "email", "role"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = member_tenants(user, at_least=Role.ADMIN)

    def validate_unique(self):
        """The service says whether they are already a member (with the API's words)."""


@admin.register(Membership, site=console_site)
class MemberConsole(AdminRoleWrites, ConsoleModelAdmin):
    view_role = Role.ADMIN
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role", TenantFilter]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__email"]
    actions = ["remove_selected"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # removal goes through the service, one member at a time
        return actions

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = InviteForm
            form = super().get_form(request, obj, change=change, **kwargs)

            return form_for_user(form, request.user)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["tenant", "email", "role"] if obj is None else ["user", "tenant", "role"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "tenant"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            membership = Membership.objects.select_related("tenant", "user").get(pk=obj.pk)
            services.membership_change_role(membership=membership, role=data["role"], actor=request.user)
            return
        with transaction.atomic():
            user, _ = services.user_get_or_create(email=data["email"])
            created = services.membership_add(tenant=data["tenant"], user=user, role=data["role"], actor=request.user)
        obj.__dict__.update({k: v for k, v in created.__dict__.items() if not k.startswith("_")})

    def save_related(self, request, form, formsets, change):
        """The service saved everything."""

    def delete_model(self, request, obj):
        services.membership_remove(membership=obj, actor=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Exception as exc:  # a refusal: shown on the member's page
            from rest_framework.exceptions import APIException

            if not isinstance(exc, APIException):
                raise
            from django.shortcuts import redirect

            from .base import refusal_message

            self.message_user(request, refusal_message(exc), "error")
            return redirect("console:tenants_membership_change", object_id)

    @admin.action(description="Remove selected members from their team")
    def remove_selected(self, request, queryset):
        for membership in queryset.select_related("tenant", "user"):
            if not self.has_role(request, Role.ADMIN, membership):
                continue
            self.run_service(request, lambda m=membership: services.membership_remove(membership=m,
                                                                                        actor=request.user),
                             f"{membership.user} is no longer a member of {membership.tenant}.")
