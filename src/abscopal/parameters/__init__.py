"""Parameter data: every value with unit and source, loaded from the TOML files of this folder."""

from .store import Entry, ParameterSet, load_parameter_set, load_shared, tumour_keys, tumour_meta

__all__ = ["Entry", "ParameterSet", "load_parameter_set", "load_shared", "tumour_keys", "tumour_meta"]
