# The organization fixture of the API tests (alice owns acme, bob is its admin, carol a member, dave
# owns globex), for the website's pages.
from tests.orgs.conftest import team  # noqa: F401
