"""Network analysis of shared mechanisms: site index, similarity, pairs, centrality, communities, co-occurrence, suggestions, outcomes."""

from ._example import example_graph
from .centrality import SEED, bridging_organizations, centrality, tie_groups
from .communities import communities
from .cooccurrence import kind_cooccurrence
from .index import Incidence, SiteIndex, entry, incidence_of, index_from_file, index_from_triples, site_index
from .labels import label, labels
from .matching import best_matches, find_site, match_score, rank_matches, text_lang
from .outcomes import outcomes, site_outcomes, sources
from .pairs import Pairs, shared_columns, shared_pairs, sites_sharing
from .similarity import FORMULA, feature_weights, features, similar_to, similarity_matrix, similarity_scores
from .suggest import suggest
from .summary import analyze, limits, notes

__all__ = [
    "Incidence", "SiteIndex", "Pairs", "site_index", "index_from_triples", "index_from_file", "entry", "incidence_of",
    "labels", "label", "find_site", "match_score", "rank_matches", "best_matches", "text_lang",
    "shared_columns", "sites_sharing", "shared_pairs",
    "FORMULA", "features", "feature_weights", "similarity_scores", "similarity_matrix", "similar_to",
    "centrality", "tie_groups", "bridging_organizations", "communities", "kind_cooccurrence", "suggest",
    "outcomes", "site_outcomes", "sources", "analyze", "notes", "limits", "SEED", "example_graph", "_example_graph",
]

#: The name the doctests use for ``example_graph``.
_example_graph = example_graph
