"""Sign up (the same service as POST /api/auth/register). Sign-in, sign-out and the password
reset pages are Django's views with our templates (marketplace/urls.py)."""

from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.services import user_register
from billing.plans import plans_by_code
from core.errors import ApiError
from marketplace.forms import SignupForm


def _chosen_plan(request):
    """A paid plan picked on /pricing (``?plan=pro``), carried through sign-up to the billing page."""
    plan = plans_by_code().get(request.POST.get("plan") or request.GET.get("plan") or "")
    return plan if plan is not None and plan.price_cents else None


def _after_signup(plan):
    if plan is None:
        return redirect("dashboard")
    return redirect(f"{reverse('dashboard-billing')}?plan={plan.code}")


@require_http_methods(["GET", "POST"])
def signup(request):
    plan = _chosen_plan(request)
    if request.user.is_authenticated:
        return _after_signup(plan)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_register(
                request=request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                name=form.cleaned_data["name"],
                username=form.cleaned_data["username"] or None,
            )
        except ApiError as exc:
            fields = (exc.details or {}).get("fields", {}) if isinstance(exc.details, dict) else {}
            placed = False
            for field, errors in fields.items():
                if field in form.fields:
                    for error in errors:
                        form.add_error(field, error)
                    placed = True
            if not placed:
                target = {"email_taken": "email", "username_taken": "username"}.get(exc.code)
                form.add_error(target, exc.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return _after_signup(plan)
    context = {"form": form, "plan": plan}
    return render(request, "marketplace/signup.html", context, status=400 if form.errors else 200)
