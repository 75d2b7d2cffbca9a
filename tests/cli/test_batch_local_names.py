"""The CLI writes a batch's outputs only inside the folder it was given, whatever names the API answers
(the server makes them safe; a compromised or impostor server must not write ~/.bashrc)."""

import pytest

from loopwind.cli.batch import local_name


@pytest.mark.parametrize(
    "filename, expected",
    [
        ("card.png", "card.png"),
        ("Ünïcode name.webp", "Ünïcode name.webp"),
        ("../../.bashrc", "00007"),
        ("/etc/cron.d/x.png", "00007.png"),
        ("a/b.png", "00007.png"),
        ("..\\..\\evil.png", "00007.png"),
        (".hidden.png", "00007.png"),
        ("..", "00007"),
        ("", "00007"),
        (None, "00007"),
    ],
)
def test_only_plain_file_names_are_used(filename, expected):
    assert local_name({"row": 7, "filename": filename}) == expected
