import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loopwind_site.settings")
application = get_wsgi_application()

# A production server does not start while `make run`'s demo staff account keeps its demo password
# (`migrate` refuses it too: the check is tagged database).
from marketplace.checks import demo_staff_account_check  # noqa: E402  (needs the apps loaded)

for error in demo_staff_account_check(databases=["default"]):
    raise ImproperlyConfigured(f"{error.msg} {error.hint}")
