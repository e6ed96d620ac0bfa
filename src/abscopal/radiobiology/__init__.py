"""Radiobiology utilities: LQ survival, BED, EQD2, TCP, and parsing of fractionation schemes."""

from .lq import bed, eqd2, parse_scheme, surviving_fraction, tcp

__all__ = ["bed", "eqd2", "parse_scheme", "surviving_fraction", "tcp"]
