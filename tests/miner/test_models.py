import pytest

from miner.models import MINILM, PACKAGED_ENCODER_DIR, resolve_model_path


def test_names_resolve_to_packaged_folders(tmp_path):
    assert resolve_model_path("") == str(PACKAGED_ENCODER_DIR) == resolve_model_path("multilingual")
    assert "minilm" in resolve_model_path(MINILM).lower()
    assert resolve_model_path(str(tmp_path)) == str(tmp_path)


def test_a_missing_model_is_a_clear_error_not_a_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither a known name"):
        resolve_model_path("sentence-transformers/LaBSE")
    with pytest.raises(FileNotFoundError, match="neither a known name"):
        resolve_model_path(str(tmp_path / "missing"))
