"""The team console: a Django admin site for every active member of a tenant (no staff status needed)."""

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.auth.forms import AuthenticationForm

from .scoping import memberships_of


class ConsoleLoginForm(AuthenticationForm):
    """Signs in any active member of an active tenant; staff status plays no part."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_member": "This account is not a member of any active team. Ask a team admin to invite you.",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not memberships_of(user).exists():
            raise forms.ValidationError(self.error_messages["not_member"], code="not_member")


class ConsoleSite(AdminSite):
    site_header = "SynthHub"
    site_title = "SynthHub"
    index_title = "Dashboard"
    site_url = "/console/"
    login_form = ConsoleLoginForm
    index_template = "console/dashboard.html"
    enable_nav_sidebar = True

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_authenticated and memberships_of(user).exists())

    def each_context(self, request):
        context = super().each_context(request)
        context["console_memberships"] = list(memberships_of(request.user)) if self.has_permission(request) else []
        return context

    def get_urls(self):
        # Django's "view on site" shortcut looks any object up by content type and id, whatever its tenant: an
        # existence oracle for other teams' rows. Console rows link to their own pages instead.
        return [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]

    def index(self, request, extra_context=None):
        from .dashboard import dashboard_context

        return super().index(request, {**dashboard_context(request), **(extra_context or {})})


console_site = ConsoleSite(name="console")
