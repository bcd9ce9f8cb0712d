"""``potashsim.text``: the one "did you mean" every message of potashsim uses."""

from __future__ import annotations

from potashsim.text import closest, did_you_mean


def test_the_closest_name_is_suggested_in_one_house_format():
    assert did_you_mean("horizn", ["horizon", "seed", "name"]) == "; did you mean `horizon`?"


def test_nothing_alike_enough_suggests_nothing():
    assert closest("xyz", ["horizon", "seed"]) is None
    assert did_you_mean("xyz", ["horizon", "seed"]) == ""


def test_case_is_ignored_and_the_choice_is_shown_as_spelt():
    assert did_you_mean("lithuana", ["Lithuania", "Latvia"]) == "; did you mean `Lithuania`?"


def test_the_word_itself_is_never_suggested():
    # a known name that is wrong where it stands must not get "did you mean <itself>"
    assert closest("lp", ["lp"]) is None
    assert closest("lpp", ["lp", "lpp"]) == "lp"


def test_a_prefix_shows_the_suggestion_as_a_full_name():
    hint = did_you_mean("klaipda", ["klaipeda", "riga"], prefix="port:")
    assert hint == "; did you mean `port:klaipeda`?"


def test_the_cutoff_sets_how_alike_a_choice_must_be():
    assert closest("capacity", ["capacity_t_per_year"], cutoff=0.75) is None
    assert closest("capacity", ["capacity_t_per_year"], cutoff=0.0) == "capacity_t_per_year"
