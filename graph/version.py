"""govkg's version (``govkg.__version__``), in a module of its own so that the build machinery reads it
without importing the package's front (``govkg/__init__.py`` imports the build)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
