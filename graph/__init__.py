"""govkg: a bilingual knowledge graph of grassroots-governance mechanisms."""

from .build import build, build_graph, load_graph
from .compile import BuildReport, compile_graph
from .exports import serialize
from .writers import write_atomic
from .errors import DataError, GovkgError, NotFoundError, Problem, QueryError, ValidationError
from .model import Dataset, Entry, load_data, load_file
from .namespace import GK, ID, KIND, UNIT
from .slug import slugify
from .store import OpenBuild, open_build as open
from .version import __version__

__all__ = [
    "BuildReport", "build", "build_graph", "compile_graph", "load_graph", "serialize", "write_atomic",
    "DataError", "GovkgError", "NotFoundError", "Problem", "QueryError", "ValidationError",
    "Dataset", "Entry", "load_data", "load_file",
    "GK", "ID", "KIND", "UNIT", "slugify", "open", "OpenBuild",
]
