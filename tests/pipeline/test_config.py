import pytest

from jobs import aggregate
from pipeline.config import RunConfig, load_config, parse_bool
from pipeline.stages import MINING_STAGES


def test_no_file_is_the_defaults():
    assert load_config(None) == RunConfig()


def test_a_toml_file_overrides_only_its_keys(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('intent_prior = false\nmin_users = 5\nlocales = ["kk-KZ"]\n', encoding="utf-8")
    config = load_config(str(path))
    assert (config.intent_prior, config.min_users, config.locales) == (False, 5, ("kk-KZ",))
    assert config.decay == RunConfig().decay


def test_json_strings_are_typed_and_a_bad_boolean_is_an_error(tmp_path):
    path = tmp_path / "run.json"
    path.write_text('{"intent_prior": "False", "locales": "en-US,de-DE"}', encoding="utf-8")
    config = load_config(str(path))
    assert (config.intent_prior, config.locales) == (False, ("en-US", "de-DE"))
    path.write_text('{"intent_prior": "no"}', encoding="utf-8")
    with pytest.raises(ValueError, match="expected true or false"):
        load_config(str(path))


def test_an_unknown_key_is_an_error_naming_it(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("intent_priors = false\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown setting.*intent_priors"):
        load_config(str(path))


@pytest.mark.parametrize("text, expected", [("true", True), ("False", False), (" TRUE ", True)])
def test_parse_bool(text, expected):
    assert parse_bool(text) is expected


def test_the_aggregate_stage_receives_the_intent_prior_setting():
    stage = next(s for s in MINING_STAGES if s.name == "aggregate")
    values = {**RunConfig(intent_prior=False).as_dict(), "out": "/runs/day"}
    args = aggregate.parse_args(stage.argv(values))
    assert (args.out, args.min_users, args.intent_prior) == ("/runs/day", 3, False)
    assert aggregate.parse_args(["--out", "/runs/day"]).intent_prior is True


def test_the_readmes_configuration_example_is_a_valid_configuration(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Configuration", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    path = tmp_path / "readme.toml"
    path.write_text(example, encoding="utf-8")
    config = load_config(str(path))
    assert (config.min_users, config.stop_quarantine_share) == (3, 0.5)
    assert (config.log_format.format, config.log_format.status_values["BARGE_IN"]) == ("csv", "interrupted")
