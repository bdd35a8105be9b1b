import pytest

from miner.models import MINILM, PACKAGED_ENCODER_DIR, model_fingerprint, resolve_model_path


def test_names_resolve_to_packaged_folders(tmp_path):
    assert resolve_model_path("") == str(PACKAGED_ENCODER_DIR) == resolve_model_path("multilingual")
    assert "minilm" in resolve_model_path(MINILM).lower()
    assert resolve_model_path(str(tmp_path)) == str(tmp_path)


def test_a_missing_model_is_a_clear_error_not_a_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither a known name"):
        resolve_model_path("sentence-transformers/LaBSE")
    with pytest.raises(FileNotFoundError, match="neither a known name"):
        resolve_model_path(str(tmp_path / "missing"))


def test_the_cache_key_follows_the_weights_not_the_model_card(tmp_path):
    (tmp_path / "modules.json").write_text("[]")
    (tmp_path / "weights.safetensors").write_bytes(b"\x00\x01")
    key = model_fingerprint(str(tmp_path))
    (tmp_path / "README.md").write_text("# a model card edit")
    assert model_fingerprint(str(tmp_path)) == key
    (tmp_path / "weights.safetensors").write_bytes(b"\x00\x02")
    assert model_fingerprint(str(tmp_path)) != key
    assert model_fingerprint("") == model_fingerprint("multilingual") != model_fingerprint(MINILM)
