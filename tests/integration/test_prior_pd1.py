"""population.prior_pd1: progressed - a population that progressed on PD-(L)1 blockade responds to it rarely.

Published anchor for the direction (not a fitted target): after progression on anti-PD-(L)1, re-treatment with
PD-(L)1 blockade gives few responses (e.g. durvalumab + tremelimumab 3/26 = 11.5% in PD-(L)1-refractory NSCLC,
Schoenfeld JD et al. Lancet Oncol 2022;23:279-91), against about 20% for pembrolizumab in unselected previously
treated NSCLC (KEYNOTE-001, Garon EB et al. N Engl J Med 2015;372:2018-28). The check is only that the selected
population responds far less than the unselected one on the same seed; the number is the model's.
"""

import yaml

from abscopal.api import run_trial


def _orr(tmp_path, prior):
    doc = {"abscopal": 1, "name": f"pembrolizumab, {prior}", "species": "human", "tumour": "nsclc",
           "population": {"size": 150, "seed": 21, "prior_pd1": prior},
           "arms": {"pembrolizumab": {"drugs": [{"agent": "pembrolizumab", "dose": "200 mg", "every": "3 weeks",
                                                 "start": "day 0", "until": "day 364"}]}},
           "simulation": {"duration": "365 days"}}
    path = tmp_path / f"{prior}.yaml"
    path.write_text(yaml.safe_dump(doc))
    (arm,) = run_trial(path).result["arms"]
    return arm["orr"]["out_of_field"]["rate"]


def test_progressed_population_responds_far_less_to_pd1_blockade(tmp_path):
    naive, progressed = _orr(tmp_path, "naive"), _orr(tmp_path, "progressed")
    assert naive > 0.1
    assert progressed < naive / 3
