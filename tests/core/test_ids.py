"""core.ids: public ids are the prefix and base62 characters, each uniform over the alphabet."""

from collections import Counter

import pytest

from core import ids


@pytest.mark.parametrize("length", [0, 1, 6, 20, 32, 300])
def test_the_length_and_alphabet(length):
    value = ids.random_base62(length)
    assert len(value) == length and set(value) <= set(ids.BASE62)


def test_public_ids_carry_their_prefix_and_differ():
    made = {ids.public_id("rnd") for _ in range(2000)}
    assert len(made) == 2000 and all(v.startswith("rnd_") and len(v) == 24 for v in made)


def test_every_character_is_about_equally_likely(monkeypatch):
    counts = Counter("".join(ids.random_base62(62) for _ in range(2000)))
    expected = 2000  # 124,000 characters over 62
    assert len(counts) == 62
    chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
    assert chi2 < 130  # 61 degrees of freedom: p < 1e-6 beyond this; a bias of 2/62 gives thousands


def test_bytes_past_the_last_whole_alphabet_are_dropped(monkeypatch):
    draws = iter([bytes([255, 248, 0, 61, 62, 247]), bytes([1] * 9)])
    monkeypatch.setattr(ids.secrets, "token_bytes", lambda n: next(draws))
    # 255 and 248 dropped; 0 -> "0", 61 -> "Z", 62 -> "0", 247 -> 247 % 62 = 61 -> "Z"; then 1 -> "1"
    assert ids.random_base62(5) == "0Z0Z1"
