from hypothesis import given
from hypothesis import strategies as st

from drupe.keys import join_keys, mask_key, parse_keys


def test_examples():
    assert parse_keys("") == []
    assert parse_keys("sk-a") == ["sk-a"]
    assert parse_keys(" sk-a , sk-b ,, sk-a\nsk-c\n") == ["sk-a", "sk-b", "sk-c"]
    assert parse_keys(r"a\,b,c") == ["a,b", "c"]


def test_mask_shows_prefix_and_last_four():
    assert mask_key("sk-abcdefghijwxyz") == "sk-…wxyz"
    assert "secret" not in mask_key("secret")


key_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)


@given(st.lists(key_text, max_size=8))
def test_parsed_keys_are_trimmed_unique_and_non_empty(parts):
    keys = parse_keys(",".join(parts))
    assert all(k and k == k.strip() for k in keys)
    assert len(keys) == len(set(keys))


@given(st.lists(key_text.map(str.strip).filter(bool), max_size=8, unique=True))
def test_join_then_parse_round_trips(keys):
    keys = [k for k in keys if "\n" not in k and "\\" not in k and k == k.strip()]
    assert parse_keys(join_keys(keys)) == keys


@given(st.text(min_size=9, max_size=80))
def test_mask_never_reveals_the_middle(key):
    masked = mask_key(key)
    assert len(masked) <= 8
    assert masked != key
