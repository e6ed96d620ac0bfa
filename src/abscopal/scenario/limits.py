"""Declared limits of scenario and trial files, each with the reason for its value.

Every limit is checked where the file is read, so that input beyond it is one exit-2 error naming
the key (never a hang, an overflow or an exhausted memory half-way through a run). The values are
far beyond clinical and experimental practice, so valid extreme input still runs.
"""

from __future__ import annotations

# Twenty years covers any follow-up of a trial; the solver's cost grows with the simulated time.
MAX_DURATION_DAYS = 20 * 365.25
# Event times (``day N``) are inside the longest simulation; a finite bound keeps ``inf`` out of results.
MAX_EVENT_DAY = MAX_DURATION_DAYS
# Output times of one simulation: 20 years daily is 7,305 and a year hourly 8,760. Each output time is
# a solver stop, and the published-model path (model: Kosinsky2018) takes about 70 s for 175,000 of them.
MAX_OUTPUTS = 20_000
# Fractions per radiotherapy block: conventional courses have up to 40, hyperfractionated ones about 70.
MAX_FRACTIONS = 100
# Radiotherapy blocks and drug regimens per scenario or arm: real protocols use a handful of each.
MAX_RT_BLOCKS = 32
MAX_DRUG_REGIMENS = 32
# The shortest dosing interval of any labelled regimen is aldesleukin's every 8 hours; one hour leaves
# room for experiments while keeping the number of dosing events (each restarts the solver) bounded.
MIN_DOSING_INTERVAL_DAYS = 1.0 / 24.0
# Doses per regimen: hourly for a year is 8,760; the cost of a run grows with every dose.
MAX_DOSES_PER_REGIMEN = 10_000
# Lesions per patient (explicit): metastatic patients rarely have more than a few dozen measurable lesions.
MAX_LESIONS = 64
# The smallest lesion (0.1 mm across, about 500 cells): below it a lesion is not the continuum the model
# describes, and sizes near the smallest float give nan.
MIN_LESION_DIAMETER_MM = 0.1
# Tumour response scans: one a day is the densest schedule of any mouse or human study; the scan list
# of a 20-year trial then has 7,305 entries.
MIN_ASSESSMENT_INTERVAL_DAYS = 1.0
# Relative weights (tumour_mix): any ratio beyond this is effectively zero, and finite sums stay finite.
MAX_WEIGHT = 1e9
# The published model (model: Kosinsky2018) was fitted to experiments of 40 to 60 days; a year is far
# beyond its data, and its right-hand side, evaluated in Python, costs seconds per simulated year (about
# 90 s for 20 years on a loaded machine).
KOSINSKY_MAX_DURATION_DAYS = 365.0
# Subjects per cohort or trial arm: ten million is far beyond any trial; the chunked store handles it.
MAX_SUBJECTS = 10_000_000
# Random seeds: numpy's generators take any non-negative integer, but a 1,000-digit one only costs time.
MAX_SEED = 2**63 - 1
# Patient covariates and field descriptions: physical ranges, far beyond clinical values.
# A body surface area from a mouse (about 0.007 m^2) to the largest adult (about 3 m^2).
BSA_RANGE_M2 = (0.001, 5.0)
# Mutations per megabase: the most hypermutated tumours reach a few hundred.
MAX_TMB_PER_MB = 1e4
# An irradiated volume no larger than a whole adult body (about 70,000 cm^3).
MAX_FIELD_SIZE_CM3 = 1e5
# Beam-on time per fraction: minutes in practice; a day is beyond any delivery.
MAX_BEAM_ON_TIME_MIN = 1440.0

# parameters of the "limits" group that the reader checks a file against: they cannot be overridden by the file
INPUT_LIMITS = ("max_lesion_diameter", "max_lesion_volume", "min_body_weight", "max_body_weight")
