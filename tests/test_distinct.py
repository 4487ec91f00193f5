"""Rows numbered by their combination of values (geo.distinct)."""

import numpy as np
import pandas as pd

from geo.distinct import combination_codes


def test_rows_with_the_same_values_share_a_code_and_missing_is_a_value():
    place = pd.Series(["Mach", "Mach", "Sibi", "Mach", None, None])
    province = pd.Series(["Balochistan", "Baluchistan", "Balochistan", "Balochistan", "", ""])
    codes, first_rows = combination_codes([place, province])
    assert codes.tolist() == [0, 1, 2, 0, 3, 3]  # old spelling of the province: its own code
    assert first_rows.tolist() == [0, 1, 2, 4]
    assert np.array_equal(codes[first_rows], np.arange(4))
