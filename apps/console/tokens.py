"""Personal API tokens of the signed-in member: create (the secret is shown once), list, revoke."""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone

from apps.tenants import services
from apps.tenants.models import ApiToken

from .base import ConsoleModelAdmin
from .site import console_site


class TokenForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(required=False, min_value=1, max_value=365,
                                         help_text="Leave empty for the platform's default lifetime.")

    class Meta:
        model = ApiToken
        fields = ["name"]


@admin.register(ApiToken, site=console_site)
class TokenConsole(ConsoleModelAdmin):
    """Every member's own tokens and nobody else's, whatever their role."""

    form = TokenForm
    list_display = ["name", "token_key", "created", "expiry"]
    fields = ["name", "expires_in_days"]
    actions = ["revoke_selected"]

    def scoped(self, request, queryset):
        return queryset.filter(user=request.user, expiry__gt=timezone.now())

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_role(request, self.view_role) and (obj is None or obj.user_id == request.user.pk)

    def has_add_permission(self, request) -> bool:
        return self.has_role(request, self.view_role)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj)

    def get_fields(self, request, obj=None):
        return ["name", "expires_in_days"] if obj is None else ["name", "token_key", "created", "expiry"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["name", "token_key", "created", "expiry"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        token, secret = services.token_create(user=request.user, name=form.cleaned_data.get("name") or "",
                                              expires_in_days=form.cleaned_data.get("expires_in_days"))
        obj.__dict__.update({k: v for k, v in token.__dict__.items() if not k.startswith("_")})
        request._token_secret = secret

    def save_related(self, request, form, formsets, change):
        """The service saved everything."""

    def response_add(self, request, obj, post_url_continue=None):
        # The secret exists only in this answer: it is never stored, logged or put in a message cookie.
        context = {**self.admin_site.each_context(request), "token": obj, "secret": request._token_secret,
                   "opts": self.opts, "title": "Your new API token"}
        return TemplateResponse(request, "console/tokens/created.html", context)

    def delete_model(self, request, obj):
        services.token_revoke(token=obj, actor=request.user)

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request, queryset):
        for token in queryset:
            self.run_service(request, lambda t=token: services.token_revoke(token=t, actor=request.user),
                             f"Token {token.name or token.token_key} is revoked.")
