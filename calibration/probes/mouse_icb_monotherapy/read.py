"""Read the TP probe: mean volume on days 14 and 21 relative to control, and the tumour-free share on day 60.

Usage: python calibration/probes/mouse_icb_monotherapy/read.py OUT.json [OUT.json ...] (trial --json outputs)."""
import json
import sys

for path in sys.argv[1:]:
    doc = json.load(open(path))
    curves, free = {}, {}
    for arm in doc["arms"]:
        lesion = arm["lesions"]["primary"]
        days = lesion["time_days"]
        curves[arm["name"]] = {d: lesion["mean_volume_mm3"][days.index(float(d))] for d in (14, 21)}
        free[arm["name"]] = arm["tumour_free_fraction"]
    ratios = {a: {d: round(curves[a][d] / curves["control"][d], 2) for d in (14, 21)} for a in curves if a != "control"}
    print(path, "volume / control:", ratios, "tumour-free day 60:", free)
