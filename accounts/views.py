"""Website pages of accounts: the CLI device approval page (sign-in is the site's: marketplace.views.account)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import DeviceCodeForm
from core.errors import NotFound


@login_required
@require_http_methods(["GET", "POST"])
def device(request):
    """Step 1: enter (or confirm the prefilled) code. Step 2: approve or deny."""
    code = services.normalize_user_code(request.POST.get("code") or request.GET.get("code") or "")
    if request.method == "POST" and request.POST.get("decision") in {"approve", "deny"}:
        approve = request.POST["decision"] == "approve"
        try:
            services.device_authorization_decide(user_code=code, user=request.user, approve=approve)
        except NotFound as exc:
            messages.error(request, exc.message)
            return redirect("device")
        return render(request, "accounts/device_done.html", {"approved": approve})
    grant = selectors.device_authorization_pending(user_code=code)
    if code and grant is None:
        messages.error(
            request, "This code is unknown, already used or expired. Start `loopwind login` again."
        )
    form = DeviceCodeForm(initial={"code": code})
    return render(request, "accounts/device.html", {"form": form, "grant": grant})
