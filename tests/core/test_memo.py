"""core.memo: the per-process maps of the hot path stay within their bounds, least recently used out."""

from core.memo import BytesMemo, Memo


def test_memo_keeps_at_most_size_items_least_recently_used_out():
    memo = Memo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # a is now the most recent
    memo.put("c", 3)
    assert memo.get("b") is None and memo.get("a") == 1 and memo.get("c") == 3


def test_bytes_memo_keeps_its_byte_budget_and_skips_large_items():
    memo = BytesMemo(10, max_item=6)
    memo.put("a", b"xxxx")
    memo.put("b", b"yyyy")
    memo.put("big", b"z" * 7)  # over max_item: not kept
    assert memo.get("big") is None
    memo.get("a")
    memo.put("c", b"wwww")  # 12 bytes: b, the least recently used, goes
    assert memo.get("b") is None and memo.get("a") == b"xxxx" and memo.get("c") == b"wwww"
    memo.put("a", b"vv")  # replacing counts the new size only
    memo.put("d", b"uuuu")
    assert memo.get("a") == b"vv" and memo.get("c") == b"wwww" and memo.get("d") == b"uuuu"


def test_a_memo_computes_a_value_once_and_keeps_it():
    memo, calls = Memo(2), []

    def compute(value):
        calls.append(value)
        return value * 2

    assert memo.computed("a", lambda: compute(1)) == 2
    assert memo.computed("a", lambda: compute(9)) == 2  # kept: not computed again
    assert calls == [1]
    memo.computed("b", lambda: compute(2))
    memo.computed("c", lambda: compute(3))  # over its size: "a" goes first
    assert memo.computed("a", lambda: compute(4)) == 8 and calls == [1, 2, 3, 4]
