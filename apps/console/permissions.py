"""A dataset's permissions page for its tenant's admins and owners, through dataset_permissions_set."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from rest_framework.exceptions import APIException

from apps.datasets import services
from apps.datasets.models import DATASET_ACTIONS
from apps.tenants.models import Membership, Role

from .base import problems_of
from .scoping import datasets_for, role_in


def _wanted(post) -> tuple[dict, list]:
    roles = {role: [a for a in DATASET_ACTIONS if post.get(f"role-{role}-{a}")] for role in Role.values
             if role != Role.OWNER}
    members = []
    for index in range(int(post.get("member-count", "0") or 0) if post.get("member-count", "").isdigit() else 0):
        email = post.get(f"member-{index}-email", "").strip()
        if email:
            members.append({"email": email, "actions": [a for a in DATASET_ACTIONS
                                                        if post.get(f"member-{index}-{a}")]})
    return roles, members


def permissions_view(request, model_admin, object_id):
    dataset = datasets_for(request.user).select_related("tenant").filter(pk=object_id).first() \
        if str(object_id).isdigit() else None
    if dataset is None:
        raise Http404
    role = role_in(request.user, dataset.tenant_id)
    if role is None or not role.at_least(Role.ADMIN):
        raise PermissionDenied
    problems = []
    if request.method == "POST":
        roles, members = _wanted(request.POST)
        try:
            services.dataset_permissions_set(dataset=dataset, actor=request.user, roles=roles, members=members)
        except APIException as exc:
            problems = problems_of(exc)
        else:
            messages.success(request, f"The permissions of {dataset} are saved.")
            return redirect("console:datasets_dataset_permissions", dataset.pk)
    described = services.dataset_permissions_describe(dataset=dataset)
    member_emails = list(Membership.objects.filter(tenant=dataset.tenant).order_by("user__email")
                         .values_list("user__email", flat=True))
    granted = {m["email"]: m["actions"] for m in described["members"]}
    members = [{"email": email, "actions": granted.get(email, [])} for email in member_emails]
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "dataset": dataset,
               "title": f"Permissions of {dataset}", "actions": DATASET_ACTIONS,
               "roles": [(r, described["roles"].get(r, [])) for r in Role.values], "members": members,
               "problems": problems}
    return TemplateResponse(request, "console/datasets/permissions.html", context)
