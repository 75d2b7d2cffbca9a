"""The README's SDK example, executed against a live server with a real worker."""

import re

import pytest

from tests.cli.conftest import ROOT
from tests.sdk.test_sdk_live import worker  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_readme_sdk_example(account, worker):  # noqa: F811
    code = re.search(r"## SDK\n\n```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[1]
    scope = {"API_KEY": account["key"], "API_URL": account["url"], "USER": account["username"]}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - our own README
    assert scope["png"][:8] == b"\x89PNG\r\n\x1a\n" and scope["mp4"][4:8] == b"ftyp"
    assert scope["url"].startswith(account["url"] + "/i/") and scope["found"][0]["slug"].endswith("/og-card")
    assert scope["versions"][0]["version"] == "1.0.0"
