"""accounts.keyformat: a well-formed key is the prefix, 32 base62 characters and their checksum;
nothing else passes, whatever its checksum says."""

import pytest

from accounts import keyformat


def test_generated_keys_are_well_formed():
    for _ in range(200):
        assert keyformat.is_well_formed(keyformat.generate_key())


@pytest.mark.parametrize("odd", ["٣", "Ａ", "ß", "_", "-", " ", "\x00", "é", "²"])
def test_characters_outside_base62_are_refused_even_with_a_matching_checksum(odd):
    random_part = odd + "A" * 31
    raw = keyformat.KEY_PREFIX + random_part + keyformat._checksum(random_part)
    assert len(raw) == len(keyformat.KEY_PREFIX) + 38
    assert not keyformat.is_well_formed(raw)


def test_a_wrong_checksum_or_length_or_prefix_is_refused():
    good = keyformat.generate_key()
    assert not keyformat.is_well_formed(good[:-1] + ("0" if good[-1] != "0" else "1"))
    assert not keyformat.is_well_formed(good + "A")
    assert not keyformat.is_well_formed("lw_test_" + good[8:])
