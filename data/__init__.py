"""The bundled data folder (package data ``govkg.data``): curated YAML, see README.md here."""
