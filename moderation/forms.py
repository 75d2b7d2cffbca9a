from django import forms
from django.contrib.admin.helpers import ActionForm


class ReasonActionForm(ActionForm):
    """The admin's action bar with a reason, for moderation actions that tell the owner why."""

    reason = forms.CharField(required=False, max_length=500, label="Reason")
