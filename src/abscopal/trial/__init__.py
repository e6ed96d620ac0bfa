"""Virtual trials: arms on shared virtual subjects, response, survival and comparisons."""
