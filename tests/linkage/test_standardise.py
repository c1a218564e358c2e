import datetime as dt

import pandas as pd

from socmaster.linkage.engine import standardise as s


def test_names_in_any_case_and_with_accents_are_one_name():
    assert s.name_key("ZOË") == s.name_key("zoe") == "zoe"
    assert s.name_key("José") == "jose"
    assert s.name_key(None) == ""


def test_o_prefix_and_mc_mac_forms_are_one_surname():
    assert s.surname_parts("O'Brien") == s.surname_parts("O Brien") == s.surname_parts("OBRIEN")
    assert s.surname_parts("McDonald")[0] == s.surname_parts("MacDonald")[0] == ("macdonald",)


def test_double_barrelled_surnames_keep_their_parts():
    assert s.surname_parts("Ahmed-Johnson") == (("ahmed", "johnson"), "")
    assert s.surname_parts("Ahmed Johnson")[0] == ("ahmed", "johnson")


def test_suffixes_are_standardised_and_kept_apart():
    assert s.surname_parts("Smith Jr") == (("smith",), "jr")
    assert s.surname_parts("SMITH JNR") == (("smith",), "jr")
    assert s.surname_parts("Smith Senior") == (("smith",), "sr")
    assert s.surname_parts("Smith II") == (("smith",), "ii")
    # A surname that is only a suffix-like word is kept as a surname.
    assert s.surname_parts("Junior") == (("junior",), "")


def test_nicknames_share_a_formal_name_from_the_maintained_table():
    assert "william" in s.forename_keys("Bill")
    assert "robert" in s.forename_keys("bob")
    assert "william" in s.forename_keys("Bill") and "bill" not in s.forename_keys("Robertson")
    # The model's level asks for one name among the other's keys: Robert and William are not.
    assert "william" not in s.forename_keys("Robert") and "robert" not in s.forename_keys("William")
    assert s.forename_keys("") == ()


def test_dates_of_birth_and_their_transposition():
    assert s.date_of_birth(dt.date(1980, 3, 7)) == "1980-03-07"
    assert s.date_of_birth("07/03/1980") == ""
    assert s.transposed("1980-03-07") == "1980-07-03"
    assert s.transposed("1980-03-13") == ""  # day 13 cannot be a month
    assert s.transposed("1980-03-03") == ""


def test_postcodes_full_and_partial():
    assert s.postcode("sw1a1aa") == s.postcode(" SW1A 1AA ") == "SW1A 1AA"
    assert s.postcode("sw1a") == "SW1A"
    assert s.postcode(None) == ""


def test_phones_in_every_format_are_one_number():
    forms = ["07700 900123", "+44 7700 900123", "(07700) 900123", "07700-900-123", "00447700900123"]
    assert {s.phone(f) for f in forms} == {"07700900123"}
    assert s.phone("12") == ""


def test_prepare_standardises_a_table_and_blanks_are_null():
    frame = pd.DataFrame(
        [
            {
                "id": "1",
                "first_name": "Bill",
                "middle_name": "",
                "surname": "O'Brien Jr",
                "dob": "1980-03-07",
                "gender": "male",
                "postcode": "sw1a1aa",
                "phone": "+44 7700 900123",
            },
            {"id": "2", "first_name": "", "surname": "Smith"},
        ]
    )
    out = prepare(frame, "id").set_index("unique_id")
    assert out.loc["1", "surname"] == "obrien" and out.loc["1", "suffix"] == "jr"
    assert out.loc["1", "gender"] == "M" and out.loc["1", "postcode"] == "SW1A 1AA"
    assert out.loc["1", "dob_transposed"] == "1980-07-03"
    assert pd.isna(out.loc["2", "first_name"]) and pd.isna(out.loc["2", "dob"])
    assert out.loc["2", "suffix"] == ""


prepare = s.prepare


def test_one_record_is_standardised_exactly_as_a_table_row():
    import math

    import pandas as pd

    from socmaster.linkage.engine.standardise import prepare_one
    from socmaster.synth import people

    noms = people.nominals(300, seed=5)
    persons = [s.person for s in people.subjects(noms, 3000, seed=5)]
    rows = [p.row() for p in persons] + [
        ["odd-1", "", "", "", "", "", "", ""],
        ["odd-2", "Zoë", "Anne-Marie", "O'Brien-Smith Jr", "1980-13-45", "female", "sw1a", "+44"],
    ]
    table = prepare(pd.DataFrame(rows, columns=["id", *people.COLUMNS]), "id")
    for raw, (_, expected) in zip(rows, table.iterrows(), strict=True):
        got = prepare_one(dict(zip(people.COLUMNS, raw[1:], strict=True)))
        for column, value in got.items():
            want = expected[column]
            if not isinstance(want, list) and (
                want is None or (isinstance(want, float) and math.isnan(want))
            ):
                want = None
            assert value == want, (raw, column, value, want)
