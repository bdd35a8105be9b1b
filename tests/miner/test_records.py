import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from miner.massive import parse_annot_utt
from miner.records import display_form, project_slots, record_id, scenario_of, training_record


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Wake me up at 7 AM!! ", "wake me up at 7 am"),
        ("What's the weather?", "what's the weather"),
        ("play [loud] music", "play (loud) music"),
        ("<b>wake me up</b>\u202e", "<b>wake me up</b>"),
        ("Ｗｅｃｋｅ mich", "wecke mich"),
    ],
)
def test_display_form(raw, expected):
    assert display_form(raw) == expected


@pytest.mark.parametrize(
    "utt, slots, annot",
    [
        # the value's case and spacing differ from the text: the text's own spelling is kept
        ("wake me up at seven  am on friday", [("time", "Seven AM"), ("date", "friday")],
         "wake me up at [time : seven  am] on [date : friday]"),
        # a value absent from the text is left out
        ("turn it down", [("device_type", "speaker")], "turn it down"),
        # whole words only: 'am' inside 'spam' is not a match
        ("read spam at am", [("time", "am")], "read spam at [time : am]"),
        # longer values first, no overlaps
        ("play the the beatles", [("x", "the"), ("artist", "The Beatles")], "play [x : the] [artist : the beatles]"),
        # unsegmented scripts match inside words
        ("東京の天気は", [("place_name", "東京")], "[place_name : 東京]の天気は"),
        ("no slots", [], "no slots"),
        ("bad names", [("two words", "bad"), ("", "names")], "bad names"),
    ],
)
def test_project_slots(utt, slots, annot):
    assert project_slots(utt, slots) == annot
    assert parse_annot_utt(annot)[0] == utt


def test_training_record_is_massive_shaped_and_strips_back():
    record = training_record("de-DE", "Wecke mich um Sieben!", "alarm_set", [("time", "sieben")], 0.91, 7, "run-1")
    assert record == {
        "id": record_id("de-DE", "wecke mich um sieben"),
        "locale": "de-DE",
        "partition": "train",
        "scenario": "alarm",
        "intent": "alarm_set",
        "utt": "wecke mich um sieben",
        "annot_utt": "wecke mich um [time : sieben]",
        "kind": "rephrase",
        "weight": 0.91,
        "support_users": 7,
        "run_id": "run-1",
    }
    assert scenario_of("iot_hue_lightchange") == "iot"


slot_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    slots=st.lists(st.tuples(st.sampled_from(["time", "date", "place_name"]), slot_values), max_size=4),
)
def test_annot_utt_always_strips_back_to_utt(text, slots):
    utt = display_form(text)
    # values drawn from the text itself as well, so that matches happen, not only misses
    slots = slots + [("person", utt[i : i + 5]) for i in range(0, len(utt), 7)]
    assert parse_annot_utt(project_slots(utt, slots))[0] == utt
