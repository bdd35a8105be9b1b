import numpy as np
import pytest

from nlu.teachers import CachedTeacher, load_teacher


def test_cached_teacher_embeds_each_text_once_and_persists(tmp_path):
    calls = []

    def fake(texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    teacher = CachedTeacher("use", tmp_path, log=lambda line: None)
    teacher._encode = fake
    first = teacher(["ab", "abc", "ab"])
    assert first.tolist() == [[2, 1], [3, 1], [2, 1]] and calls == [["ab", "abc"]]
    teacher(["abc"])
    assert len(calls) == 1  # cached in memory

    reloaded = CachedTeacher("use", tmp_path, log=lambda line: None)
    reloaded._encode = fake
    assert reloaded(["abc", "ab"]).tolist() == [[3, 1], [2, 1]] and len(calls) == 1  # and on disk


def test_an_unknown_teacher_is_an_error():
    with pytest.raises(ValueError, match="unknown teacher"):
        load_teacher("labse")
