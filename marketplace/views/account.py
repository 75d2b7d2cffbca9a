"""Sign up (the same service as POST /api/auth/register), sign-in and sign-out. The password reset
pages are Django's views with our templates (marketplace/urls.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.services import user_register
from billing.plans import plans_by_code
from core.errors import ApiError
from marketplace.forms import SignInForm, SignupForm

WELCOME = "marketplace:welcome"

# Pages a signed-out visitor cannot see: signing out there goes home instead of to the sign-in page.
SIGNED_IN_ONLY = ("/dashboard", "/device", "/admin")


def safe_next(request, default: str = "/") -> str:
    """The `next` of a form or link, when it is a path on this site (never https://evil.example)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class SignInView(auth_views.LoginView):
    """Django's sign-in (its `next` handling only follows safe URLs) with an email-or-username field."""

    template_name = "marketplace/auth/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, f"Signed in as @{form.get_user().username}.")
        return response


@require_POST
def sign_out(request):
    """POST only (a link or an image on another site cannot sign anyone out), CSRF-checked; back to the
    page the visitor was on, unless only signed-in visitors may see it."""
    target = safe_next(request)
    if target.startswith(SIGNED_IN_ONLY) or target.startswith(settings.LOGIN_URL):
        target = "/"
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect(target)


def _chosen_plan(request):
    """A paid plan picked on /pricing (``?plan=pro``), carried through sign-up to the billing page."""
    plan = plans_by_code().get(request.POST.get("plan") or request.GET.get("plan") or "")
    return plan if plan is not None and plan.price_cents else None


def _after_signup(plan, next_url: str = ""):
    if plan is None:
        return redirect(next_url or "dashboard")
    return redirect(f"{reverse('dashboard-billing')}?plan={plan.code}")


@require_http_methods(["GET", "POST"])
def signup(request):
    plan = _chosen_plan(request)
    next_url = safe_next(request, default="")
    if request.user.is_authenticated:
        return _after_signup(plan, next_url)
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
            request.session[WELCOME] = True  # the dashboard shows the next steps once
            return _after_signup(plan, next_url)
    context = {"form": form, "plan": plan, "next": next_url}
    return render(request, "marketplace/signup.html", context, status=400 if form.errors else 200)
