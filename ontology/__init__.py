"""The govkg ontology, mechanism kinds, units, SHACL shapes, quality checks and example queries."""
