"""Inference: the in-process parameter swap, the shipped posterior ensemble and credible intervals over its draws.

A part of its own (ARCHITECTURE.md, layers.json: ``Inference``): it reads the parameter data and the
simulation layer's caches and returns data; the command line runs the draws. It lives here rather than in
``parameters/`` because the swap must clear the model's and the population's caches, and the data layer
never imports the model.
"""
