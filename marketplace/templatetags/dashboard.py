"""The dashboard's navigation: which account it shows, the switcher, and the sections the role opens."""

from django import template

from marketplace.views.accounts_context import Switcher, switcher_for

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_account(context) -> Switcher | None:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    return switcher_for(request)
