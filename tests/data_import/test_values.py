"""Cells as real exports write them: times in several styles, amounts with decimal commas, durations."""

import pandas as pd
import pytest

from core.data.values import localize, normalise_choice, parse_amounts, parse_durations, parse_times
from core.data.visits import PAYMENT_METHOD, Problems, tidy_customers


@pytest.mark.parametrize("text, local", [
    ("2024-03-01 18:30", "2024-03-01 18:30:00"),
    ("2024-03-01 18:30:15", "2024-03-01 18:30:15"),
    ("2024-03-01", "2024-03-01 00:00:00"),
    ("01.03.2024 18:30", "2024-03-01 18:30:00"),
    ("01.03.2024 18:30:15", "2024-03-01 18:30:15"),
    ("1.3.2024", "2024-03-01 00:00:00"),
    ("3/1/2024 6:30:15 PM", "2024-03-01 18:30:15"),
    ("2/7/2022 12:46:21 AM", "2022-02-07 00:46:21"),
    ("2/7/2022 12:46:21 PM", "2022-02-07 12:46:21"),
    ("20240301", "2024-03-01 00:00:00"),
])
def test_local_times_in_every_style(text, local):
    parsed = parse_times(pd.Series([text]))
    assert not parsed.bad.any()
    assert parsed.local.iloc[0] == pd.Timestamp(local)


def test_times_with_an_offset_are_instants_and_local_ones_take_the_clubs_zone():
    parsed = parse_times(pd.Series(["2024-03-01T18:30:00+05:00", "2024-03-01T13:30:00Z", "2024-03-01 18:30"]))
    assert parsed.instant.iloc[0] == parsed.instant.iloc[1] == pd.Timestamp("2024-03-01 13:30", tz="UTC")
    utc = localize(parsed, pd.Series(["Asia/Almaty", "Asia/Almaty", "Asia/Almaty"]))
    assert (utc == pd.Timestamp("2024-03-01 13:30", tz="UTC")).all()
    # the same wall clock in another zone is another instant
    assert localize(parsed, pd.Series(["UTC"] * 3)).iloc[2] == pd.Timestamp("2024-03-01 18:30", tz="UTC")


def test_day_first_slashes_when_a_day_is_above_12():
    parsed = parse_times(pd.Series(["25/12/2023 10:00", "05/01/2024 10:00"]))
    assert list(parsed.local) == [pd.Timestamp("2023-12-25 10:00"), pd.Timestamp("2024-01-05 10:00")]


def test_bad_and_impossible_times_are_marked_bad():
    parsed = parse_times(pd.Series(["yesterday", "31.02.2024 10:00", "2024-03-01 25:00", "", "  "]))
    assert list(parsed.bad) == [True, True, True, False, False]


def test_amounts_with_decimal_commas_spaces_and_currency():
    values, bad = parse_amounts(pd.Series(["1 234,50", "1,234.50", "1.234,5", "12,5", "1,234", "₸ 2 000",
                                           "3500 тг", "-5", "", "ten"]))
    assert values.iloc[:8].tolist() == [1234.5, 1234.5, 1234.5, 12.5, 1234.0, 2000.0, 3500.0, -5.0]
    assert pd.isna(values.iloc[8]) and pd.isna(values.iloc[9])
    assert bad.tolist() == [False] * 9 + [True]


def test_durations_as_clocks_or_minutes():
    values, bad = parse_durations(pd.Series(["01:30:00", "90", "1,5", "", "x", "0:75"]))
    assert values.iloc[0] == values.iloc[1] == pd.Timedelta(minutes=90)
    assert values.iloc[2] == pd.Timedelta(seconds=90)
    assert bad.tolist() == [False, False, False, False, True, True]


def test_choices_are_matched_loosely():
    values, bad = normalise_choice(pd.Series(["Kaspi QR", "наличные", "CARD", "", "cheque"]), PAYMENT_METHOD, "cash")
    assert values.tolist()[:4] == ["kaspi_qr", "cash", "card", "cash"]
    assert bad.tolist() == [False, False, False, False, True]


@pytest.mark.parametrize("email, kept", [
    ("Aigerim@Example.kz", "aigerim@example.kz"),
    (" dana.o+games@mail.example.com ", "dana.o+games@mail.example.com"),
    ("bolat_n-1%x@sub-1.example.kz", "bolat_n-1%x@sub-1.example.kz"),
    ("info@почта.рф", "info@почта.рф"),
    ("[x](http://127.0.0.1:9/x.png)@a.b", None),
    ("![p](http://e.example/x.png)@a.bc", None),
    ("<a href=x>y</a>@a.bc", None),
    ("a**b**@a.bc", None),
    ("a b@example.kz", None),
    ('"quoted"@example.kz', None),
    ("a@localhost", None),
    ("a@127.0.0.1", None),
    ("a@[127.0.0.1]", None),
    ("a..b@example.kz", None),
    (".a@example.kz", None),
    ("a@-x.kz", None),
    ("a@x_y.kz", None),
    ("a@x.k", None),
    ("a@@example.kz", None),
    ("a@example.kz\nb", None),
    ("x" * 250 + "@example.kz", None),
])
def test_emails_that_are_not_a_plain_address_are_left_out(email, kept):
    problems = Problems()
    out = tidy_customers(pd.DataFrame({"customer_key": ["C1"], "full_name": ["Aigerim"], "email": [email],
                                       "phone": [None], "signed_up_at": [None]}), problems)
    assert out.email.iloc[0] == kept
    assert problems.warnings == ({} if kept else {"e-mails that are not an address, left out": 1})
