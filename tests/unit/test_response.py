"""RECIST 1.1 (Eisenhauer 2009), iRECIST (Seymour 2017) and the abscopal definitions, one hand-worked
case per rule. Each case writes its numbers and a one-line justification."""

import numpy as np
import pytest

from abscopal.response import (
    LesionTrack,
    abscopal_response,
    assess,
    assess_irecist,
    best_change_pct,
    field_assessments,
    golden2015,
    recist_out_of_field,
    select_targets,
)

DIS = 5.0  # detection limit (mm) below which a non-nodal lesion has disappeared
DAYS8 = [56.0, 112.0, 168.0, 224.0, 280.0]  # scans every 8 weeks


def les(id_, site, base, *scans):
    return LesionTrack(id_, site, float(base), np.array(scans, dtype=float))


def new(id_, site, *scans):  # a lesion absent at baseline: NaN before it appears
    return LesionTrack(id_, site, 0.0, np.array(scans, dtype=float))


def run(lesions, **kw):
    return assess(lesions, disappearance_mm=DIS, **kw)


# ------------------------------------------------------------------------------------ target selection

def test_at_most_two_per_organ_and_five_in_all():
    # lung 30/25/20 (third lung dropped: 2 per organ), liver 40, bone 12, adrenal 11 -> 5 targets.
    ls = [les("l1", "lung", 30), les("l2", "lung", 25), les("l3", "lung", 20),
          les("h1", "liver", 40), les("b1", "bone", 12), les("a1", "adrenal", 11)]
    assert select_targets(ls) == [3, 0, 1, 4, 5]
    # seven measurable lesions in seven organs: the five largest (cap of 5).
    seven = [les(f"x{k}", site, 10 + k) for k, site in enumerate(
        ["lung", "liver", "bone", "adrenal", "brain", "skin", "kidney"])]
    assert select_targets(seven) == [6, 5, 4, 3, 2]


def test_measurability_nodes_and_small_lesions():
    # 12 mm node: pathological but non-target (needs >= 15 mm short axis); 16 mm node: target;
    # 9 mm lesion: non-measurable (< 10 mm); 10 mm lesion: measurable (limit inclusive).
    ls = [les("n12", "lymph_node", 12), les("n16", "lymph_node", 16), les("s9", "lung", 9), les("s10", "liver", 10)]
    assert select_targets(ls) == [1, 3]


def test_ties_keep_listed_order():
    # two 20 mm lung lesions and one 20 mm lung lesion more: the first two listed are the targets.
    ls = [les("a", "lung", 20), les("b", "lung", 20), les("c", "lung", 20)]
    assert select_targets(ls) == [0, 1]


# ------------------------------------------------------------------------------------ categories

def test_cr_with_residual_8_mm_node():
    # lung 20 -> 2 mm (< 5 mm: disappeared, counts 0), node 16 -> 8 mm (< 10 mm: normal): CR, sum = 8.
    a = run([les("lung", "lung", 20, 2), les("node", "lymph_node", 16, 8)])
    assert a.responses == ["CR"] and a.sums == (8.0,) and a.baseline_sum == 36.0


def test_target_cr_with_remaining_non_target_is_pr():
    # targets gone, but an 8 mm (non-measurable) liver lesion persists: PR (RECIST 1.1 table 1);
    # without non-targets tracked (in/out-of-field response) the same scan is CR.
    ls = [les("lung", "lung", 20, 0), les("liver", "liver", 8, 8)]
    assert run(ls).responses == ["PR"]
    assert run(ls, use_non_targets=False).responses == ["CR"]


def test_pr_at_exactly_minus_30_percent():
    # 60 + 40 = 100 -> 42 + 28 = 70: -30.0% is PR (threshold inclusive).
    assert run([les("a", "lung", 60, 42), les("b", "liver", 40, 28)]).responses == ["PR"]


def test_not_pr_at_minus_29_9_percent():
    # 100 -> 42.1 + 28 = 70.1: -29.9% is SD.
    assert run([les("a", "lung", 60, 42.1), les("b", "liver", 40, 28)]).responses == ["SD"]


def test_pd_needs_both_20_percent_and_5_mm():
    # 16 -> 20 mm: +25% but +4 mm: SD.  40 -> 45 mm: +5 mm but +12.5%: SD.  30 -> 36: +20%, +6 mm: PD.
    assert run([les("a", "lung", 16, 20)]).responses == ["SD"]
    assert run([les("a", "lung", 40, 45)]).responses == ["SD"]
    assert run([les("a", "lung", 30, 36)]).responses == ["PD"]


def test_pd_by_new_lesion():
    # targets stable (30 -> 29 -> 29); a new lesion at scan 1: PD there, best SD before it.
    a = run([les("a", "lung", 30, 29, 29)], new_lesion_scan=1)
    assert a.responses == ["SD", "PD"] and a.progression_index == 1 and a.best == "SD"
    # the same new lesion given as a track (NaN before it appears, 7 mm >= 5 mm detection).
    b = run([les("a", "lung", 30, 29, 29)], new_lesions=[new("n", "liver", np.nan, 7)])
    assert b.responses == ["SD", "PD"]


def test_nadir_based_pd_after_response():
    # 50 + 50 = 100 -> 60 (PR, -40%) -> 73: +21.7% and +13 mm over the nadir 60 is PD, although
    # still -27% from baseline.
    a = run([les("a", "lung", 50, 30, 36.5), les("b", "liver", 50, 30, 36.5)])
    assert a.responses == ["PR", "PD"] and a.nadirs == (100.0, 60.0) and a.best == "PR"


def test_non_target_progression_proxy():
    # non-target 20 mm (third lung lesion) -> 31 mm: +55% and +11 mm over its nadir: PD (stated proxy).
    ls = [les("a", "lung", 30, 30), les("b", "lung", 25, 25), les("c", "lung", 20, 31)]
    assert run(ls).responses == ["PD"]
    assert run(ls, use_non_targets=False).responses == ["SD"]


def test_best_response_is_before_first_progression():
    # sums 100 -> 90 (SD), 65 (PR), 80 (PD: +23%, +15 mm vs 65), 0 (CR after PD ignored): best PR.
    a = run([les("a", "lung", 100, 90, 65, 80, 0)])
    assert a.responses == ["SD", "PR", "PD", "CR"] and a.best == "PR" and a.progression_index == 2


def test_confirmation_on_and_off():
    # PR at day 56 (-40%), SD at day 112 (-20%): unconfirmed PR counts as SD with confirm=True.
    ls = [les("a", "lung", 50, 30, 40)]
    assert run(ls).best == "PR"
    assert run(ls, confirm=True, scan_days=DAYS8[:2]).best == "SD"
    # PR at day 56 confirmed by PR at 112 (>= 28 days later): PR.
    assert run([les("a", "lung", 50, 30, 32)], confirm=True, scan_days=DAYS8[:2]).best == "PR"
    # lung 40 + node 20 = 60 -> 0 + 8 (CR) -> 0 + 12 (node >= 10 mm: not CR; 12 is +4 mm over the
    # nadir 8, not PD; -80%: PR): CR then PR is confirmed as the worse of the two, PR.
    a = run([les("a", "lung", 40, 0, 0), les("n", "lymph_node", 20, 8, 12)], confirm=True, scan_days=DAYS8[:2])
    assert a.responses == ["CR", "PR"] and a.best == "PR"
    # a reappearing lesion after CR (0 -> 30 mm) is PD, so that CR is not confirmed either.
    assert run([les("a", "lung", 50, 0, 30)], confirm=True, scan_days=DAYS8[:2]).best == "SD"
    # PR at days 56 and 70 (14 days apart: too early), SD at 112 (35.5: -29%, +18% over 30): neither PR
    # is confirmed.
    a = run([les("a", "lung", 50, 30, 30, 35.5)], confirm=True, scan_days=[56, 70, 112])
    assert a.confirmed == ("SD", "SD", "SD") and a.best == "SD"
    # a response on the last scan cannot be confirmed.
    assert run([les("a", "lung", 50, 45, 30)], confirm=True, scan_days=DAYS8[:2]).best == "SD"
    with pytest.raises(ValueError):
        run(ls, confirm=True)


def test_response_at_a_fixed_scan():
    # 100 -> 60 (PR), 71 (+18.3% vs nadir 60: not PD; -29%: SD), 90 (+50%: PD), 0 (after PD: still PD).
    a = run([les("a", "lung", 100, 60, 71, 90, 0)], at_index=1)
    assert a.at == "SD"
    assert [a.response_at(i) for i in range(4)] == ["PR", "SD", "PD", "PD"]


def test_minimum_sd_duration():
    # SD at day 28 only, then PD at day 56: with a 42-day minimum for SD, best is PD.
    ls = [les("a", "lung", 30, 30, 40)]
    assert run(ls).best == "SD"
    assert run(ls, scan_days=[28, 56], min_sd_days=42).best == "PD"


def test_ne_without_measurable_lesion():
    # a 9 mm lesion and a 12 mm node: nothing measurable -> NE, no time points.
    a = run([les("a", "lung", 9, 9), les("n", "lymph_node", 12, 12)], at_index=0)
    assert a.best == "NE" and a.responses == [] and a.at == "NE"


def test_existing_call_signature():
    # the call simulate/trial make: keywords disappearance_mm, new_lesion_scan, use_non_targets.
    a = assess([les("a", "lung", 30, 15)], disappearance_mm=DIS, new_lesion_scan=None, use_non_targets=False)
    assert a.best == "PR" and a.progression_index is None


# ------------------------------------------------------------------------------------ iRECIST

def irun(lesions, **kw):
    return assess_irecist(lesions, disappearance_mm=DIS, scan_days=DAYS8[: len(lesions[0].diameters)], **kw)


def test_iupd_then_icpd_with_5_mm():
    # 50 -> 40 (iSD, -20%), 50 (+25%, +10 mm vs nadir 40: iUPD), 55 (+5 mm over the iUPD sum: iCPD).
    a = irun([les("a", "lung", 50, 40, 50, 55)])
    assert a.responses == ["iSD", "iUPD", "iCPD"] and a.icpd_day == 168.0 and a.best == "iSD"
    assert a.iupd_index == 1 and a.icpd_index == 2


def test_icpd_growth_is_cumulative_from_iupd():
    # iUPD at 50, then 54 (+4: not yet; still PD vs nadir 40 so iUPD), then 55 (+5 from iUPD): iCPD.
    a = irun([les("a", "lung", 50, 40, 50, 54, 55)])
    assert a.responses == ["iSD", "iUPD", "iUPD", "iCPD"]


def test_iupd_then_shrinkage_is_not_icpd():
    # 50 -> 40 (iSD), 50 (iUPD), 44 (+10% vs nadir 40: no longer PD; -12% vs baseline: iSD),
    # 30 (-40%: iPR). RECIST 1.1 on the same numbers stops at PD.
    ls = [les("a", "lung", 50, 40, 50, 44, 30)]
    a = irun(ls)
    assert a.responses == ["iSD", "iUPD", "iSD", "iPR"] and a.icpd_index is None and a.best == "iPR"
    assert run(ls).best == "SD" and run(ls).progression_index == 1


def test_reset_bar_needs_a_new_confirmation():
    # 50 -> 40, 50 (iUPD), 44 (iSD: reset), 49 (+22.5%, +9 vs nadir 40: iUPD again, not iCPD),
    # 54 (+5 from the new iUPD sum 49: iCPD).
    a = irun([les("a", "lung", 50, 40, 50, 44, 49, 54)])
    assert a.responses == ["iSD", "iUPD", "iSD", "iUPD", "iCPD"] and a.icpd_day == 280.0


def test_iupd_by_new_lesion_confirmed_by_another_new_lesion():
    # targets 50 -> 48 (iSD) throughout; new liver lesion (12 mm) at scan 1: iUPD; a second new
    # lesion (bone, 6 mm) at scan 2: iCPD.
    a = irun([les("a", "lung", 50, 48, 48, 48)],
             new_lesions=[new("n1", "liver", np.nan, 12, 12), new("n2", "bone", np.nan, np.nan, 6)])
    assert a.responses == ["iSD", "iUPD", "iCPD"] and a.icpd_day == 168.0


def test_new_lesion_unchanged_stays_iupd_and_growth_confirms():
    # new 12 mm lesion unchanged, targets unchanged: iUPD stays iUPD (Seymour table 2); the new
    # lesion target then grows 12 -> 17 (+5 mm): iCPD.
    a = irun([les("a", "lung", 50, 48, 48, 48, 48)], new_lesions=[new("n1", "liver", np.nan, 12, 12, 17)])
    assert a.responses == ["iSD", "iUPD", "iUPD", "iCPD"]


def test_new_lesion_then_target_shrinkage_gives_ipr():
    # iRECIST FAQ scenario B: new 12 mm lesion (iUPD) then targets shrink 48 -> 30 (-40%) with the new
    # lesion unchanged: iPR (not iCR while a new lesion is present).
    a = irun([les("a", "lung", 50, 48, 48, 30)], new_lesions=[new("n1", "liver", np.nan, 12, 12)])
    assert a.responses == ["iSD", "iUPD", "iPR"] and a.best == "iPR"
    with pytest.raises(ValueError):  # a new-lesion track must cover the same scans
        irun([les("a", "lung", 50, 48, 30)], new_lesions=[new("n1", "liver", np.nan, 12, 12)])


def test_growth_earlier_than_4_weeks_does_not_confirm():
    # iUPD at day 56 (sum 50 vs nadir 40), +6 mm at day 70 (14 days later): too early, stays iUPD.
    a = assess_irecist([les("a", "lung", 50, 40, 50, 56)], disappearance_mm=DIS, scan_days=[28, 56, 70])
    assert a.responses == ["iSD", "iUPD", "iUPD"] and a.icpd_index is None


def test_irecist_ne():
    assert assess_irecist([les("a", "lung", 9, 9)], disappearance_mm=DIS).best == "NE"


# ------------------------------------------------------------------------------ in field / out of field

def test_field_assessments_split_by_irradiation():
    # irradiated lung 30 -> 3 (gone): in-field CR; liver 20 -> 19 and adrenal 15 -> 15: out-of-field SD.
    ls = [les("lung", "lung", 30, 3), les("liver", "liver", 20, 19), les("adr", "adrenal", 15, 15)]
    f = field_assessments(ls, {"lung"}, disappearance_mm=DIS)
    assert f["in_field"].best == "CR" and f["out_of_field"].best == "SD"
    assert field_assessments(ls, set(), disappearance_mm=DIS)["in_field"] is None


def test_golden2015_versus_recist_out_of_field():
    # out of field: 20 -> 12 (-40%) and 30 -> 33 (+10%): golden2015 yes (one lesion <= -30%), but the
    # RECIST sum 50 -> 45 (-10%) is SD: recist_out_of_field no.
    out = [les("a", "liver", 20, 12), les("b", "lung", 30, 33)]
    assert best_change_pct(out[0]) == pytest.approx(-40.0)
    assert golden2015([best_change_pct(x) for x in out]) is True
    assert abscopal_response(out, definition="golden2015", disappearance_mm=DIS) is True
    assert recist_out_of_field(out, disappearance_mm=DIS) is False
    assert abscopal_response(out, definition="recist_out_of_field", disappearance_mm=DIS) is False
    # 20 -> 13 and 20 -> 14 (sum -32.5%): RECIST PR, so recist_out_of_field yes.
    assert recist_out_of_field([les("a", "liver", 20, 13), les("b", "lung", 20, 14)], disappearance_mm=DIS) is True


def test_abscopal_none_cases():
    # no out-of-field lesion: None; only a 9 mm out-of-field lesion: golden2015 still judges it
    # (any non-irradiated lesion), recist_out_of_field has nothing measurable (None).
    assert abscopal_response([], disappearance_mm=DIS) is None
    small = [les("s", "skin", 9, 5)]
    assert abscopal_response(small, definition="golden2015", disappearance_mm=DIS) is True
    assert abscopal_response(small, definition="recist_out_of_field", disappearance_mm=DIS) is None
    with pytest.raises(ValueError):
        abscopal_response(small, definition="bogus", disappearance_mm=DIS)


def test_abscopal_at_fixed_scan():
    # 20 -> 18 (-10%) -> 12 (-40%): at scan 0 neither definition; at scan 1 both.
    out = [les("a", "liver", 20, 18, 12)]
    assert abscopal_response(out, disappearance_mm=DIS, at_index=0) is False
    assert abscopal_response(out, disappearance_mm=DIS, at_index=1) is True
    assert abscopal_response(out, definition="recist_out_of_field", disappearance_mm=DIS, at_index=0) is False
    assert abscopal_response(out, definition="recist_out_of_field", disappearance_mm=DIS, at_index=1) is True
