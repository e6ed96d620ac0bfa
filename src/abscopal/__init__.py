"""abscopal: in-silico radioimmunotherapy for multi-lesion virtual patients and mice (research use only)."""

from .model.describe import describe as describe
from .scenario.load import load_scenario as load_scenario
from .scenario.load import parse_scenario as parse_scenario
from .simulate import Result as Result
from .simulate import __version__ as __version__
from .simulate import simulate as simulate
from .simulate import simulate_many as simulate_many
