"""The normal-tissue table of `abscopal optimise`: every value with its unit and source, and the limit rule."""

import pytest

from abscopal.optimisation.tolerances import Limit, load_table
from abscopal.radiobiology import eqd2
from abscopal.vocabulary import SITES


def test_every_organ_has_a_source_a_check_note_and_positive_values():
    organs, sites = load_table()
    assert {"ribs_chest_wall", "spinal_cord", "esophagus", "duodenum"} <= set(organs)
    for organ in organs.values():
        assert organ.source and organ.confirmed and organ.endpoint
        assert organ.alpha_beta_gy > 0 and organ.dmax_gy
        totals = [total for _, total in organ.dmax_gy]
        assert all(t > 0 for t in totals) and totals == sorted(totals)  # more fractions tolerate more total dose
    for site, organ in sites.items():
        assert site in SITES["human"] and organ in organs


@pytest.mark.parametrize("n", [1, 3, 5])
def test_the_limit_at_a_tabulated_number_of_fractions_is_the_published_dose(n):
    organs, _ = load_table()
    cord = organs["spinal_cord"]
    total = dict(cord.dmax_gy)[n]
    limit = Limit("bone", "eqd2", cord.alpha_beta_gy, 1.0, organ=cord)
    assert limit.check(total / n, n)["satisfied"]
    assert not limit.check(total / n * 1.01, n)["satisfied"]
    half = Limit("bone", "eqd2", cord.alpha_beta_gy, 0.5, organ=cord)  # the organ gets half the prescription
    assert half.check(2 * total / n, n)["satisfied"] and not half.check(2.02 * total / n, n)["satisfied"]


def test_other_fraction_numbers_use_the_nearest_row_in_eqd2():
    organs, _ = load_table()
    ribs = organs["ribs_chest_wall"]
    limit, n_ref = ribs.limit_eqd2(8)
    assert n_ref == 5 and limit == pytest.approx(eqd2(43 / 5, 5, 3.0))
    assert ribs.limit_eqd2(4)[1] == 3  # a tie goes to the smaller number of fractions
