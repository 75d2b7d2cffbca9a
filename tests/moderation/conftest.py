# The website's fixtures: the official account, a member and staff with their signed-in clients.
from tests.marketplace.conftest import member, member_client, official, staff, staff_client  # noqa: F401
