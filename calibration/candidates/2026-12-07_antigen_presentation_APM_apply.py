"""Apply registration APM to a tree: antigenicity = (TMB / 13.5) x (APS_type / APS_melanoma)."""
import re, sys
from pathlib import Path
root = Path(sys.argv[1]) / "src/abscopal/parameters/tumours/human"
APS = {"melanoma": ("Melanoma", 0.6719016), "acc": ("Adrenocortical Carcinoma", 0.4436434), "breast": ("Breast Carcinoma", 0.3211102),
       "cervix": ("Cervical Cancer", 0.7340055), "gbm": ("Glioblastoma", 0.2699075), "hnscc": ("Head and Neck", 0.7336607),
       "hcc": ("Hepatocellular Carcinoma", 0.7651938), "nsclc": ("NSCLC", 0.5265), "pancreas": ("Pancreatic Cancer", 0.488062),
       "prostate": ("Prostate Cancer", 0.3467583), "renal": ("Renal Cell Carcinoma", 0.6606)}
MEL = APS["melanoma"][1]
for path in sorted(root.glob("*.toml")):
    key = path.stem
    text = path.read_text()
    line = re.search(r"^antigenicity = \{.*\}$", text, re.M).group(0)
    tmb = float(re.search(r"^tmb = \{ value = ([0-9.eE+-]+)", text, re.M).group(1))
    if key == "colorectal":
        new = line[:-2] + ', note2 = "no antigen-presentation score for colorectal cancer in Wang S et al. eLife 2019;8:e49020 (its table leaves the type out, MSS and MSI mixed), so the APM rule (registration APM, docs/calibration.md, 2026-12-07) leaves this value at the TMB rule alone (assumption: factor 1)" }'
        new = new.replace(', note2 = ', ', apm_note = ') if False else new
        # keep one note key: append to the existing note text if any
        if ', note = "' in line:
            new = line.replace(', note = "', ', note = "No antigen-presentation score for colorectal cancer in Wang S et al. eLife 2019;8:e49020 (its table leaves the type out), so the APM rule (registration APM, docs/calibration.md, 2026-12-07) keeps the TMB rule alone here (factor 1, assumption). ', 1)
        else:
            new = line[:-2] + ', note = "No antigen-presentation score for colorectal cancer in Wang S et al. eLife 2019;8:e49020 (its table leaves the type out), so the APM rule (registration APM, docs/calibration.md, 2026-12-07) keeps the TMB rule alone here (factor 1, assumption)" }'
        path.write_text(text.replace(line, new)); print(key, "unchanged value"); continue
    name, aps = APS[key]
    factor = aps / MEL
    value = round(tmb / 13.5 * factor, 3)
    source = (f'derived by two rules: the type\'s median TMB ({tmb:g} /Mb, the tmb entry) relative to melanoma\'s 13.5 /Mb '
              f'(a_g = TMB/13.5; Yarchoan M et al. N Engl J Med 2017;377:2500-1) times its antigen-presentation score relative to '
              f'melanoma\'s, {aps:.4f} / {MEL:.4f} = {factor:.3f} (median normalised 18-gene APM score of TCGA primary tumours, row '
              f'\\"{name}\\" of Wang S et al. eLife 2019;8:e49020, data/summary_data_new_20190411.csv of github.com/XSLiuLab/'
              f'tumor-immunogenicity-score, read 2026-12-07; registration APM, docs/calibration.md): {tmb / 13.5:.3f} x {factor:.3f}')
    if key == "melanoma":
        source = ('derived: the reference type of both rules, TMB 13.5 /Mb (a_g = TMB/13.5; Yarchoan M et al. N Engl J Med '
                  '2017;377:2500-1) and the antigen-presentation score of Wang S et al. eLife 2019;8:e49020 (0.6719, the '
                  'reference of the APM rule; registration APM, docs/calibration.md)')
    old_src = re.search(r'source = "((?:[^"\\]|\\.)*)"', line).group(0)
    new = re.sub(r'value = [0-9.eE+-]+', f'value = {value}', line, count=1).replace(old_src, f'source = "{source}"')
    path.write_text(text.replace(line, new))
    print(key, tmb, f"{factor:.3f}", value)
