"""History matching with Gaussian-process emulators (Vernon/Craig style) for calibration/history_match.py.

One module per idea: ``space`` (the parameter space file), ``checks`` (check margins, vectorised), ``cache``
(one JSON per simulated point), ``simulators`` (the abscopal model and an analytic toy, run in worker
processes), ``emulator`` (one GP per observable, implausibility of every check), ``waves`` (designs and
waves), ``screen`` (Morris screening), ``ensemble`` (the posterior ensemble file and its summary).
"""
