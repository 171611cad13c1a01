"""The data format's vocabularies, each written once: YAML value -> ontology term."""

# govkg.model checks YAML values against the keys of these tables and govkg.compile turns them
# into the terms; tests/test_namespace.py checks every term against the ontology.

from __future__ import annotations

from .namespace import GK

__all__ = [
    "COMPARATORS",
    "DIRECTIONS",
    "ENUMS",
    "EVENT_TYPES",
    "MEASURES",
    "ORG_TYPES",
    "PERIODS",
    "PLACE_TYPES",
    "SITE_TYPES",
    "STATUSES",
    "Period",
]

#: ``type`` of an area or a site -> class.
PLACE_TYPES = {
    "city": GK.City, "district": GK.District, "development-zone": GK.DevelopmentZone,
    "subdistrict": GK.Subdistrict, "town": GK.Town, "community": GK.Community,
    "village": GK.Village, "village-committee": GK.VillageCommittee, "natural-village": GK.NaturalVillage,
}
#: The place types a demonstration site may have.
SITE_TYPES = {k: PLACE_TYPES[k] for k in ("community", "village", "village-committee", "natural-village")}
#: ``type`` of an organization -> class.
ORG_TYPES = {
    "party-organization": GK.PartyOrganization, "government-body": GK.GovernmentBody,
    "company": GK.Company, "community-company": GK.CommunityCompany,
    "research-institute": GK.ResearchInstitute, "school": GK.School, "association": GK.Association,
    "resident-group": GK.ResidentGroup, "volunteer-team": GK.VolunteerTeam,
    "mediation-team": GK.MediationTeam, "alliance": GK.Alliance, "news-outlet": GK.NewsOutlet,
    "industrial-park": GK.IndustrialPark,
}
#: ``comparator`` of an outcome -> individual.
COMPARATORS = {"exactly": GK.Exactly, "more-than": GK.MoreThan, "approximately": GK.Approximately,
               "less-than": GK.LessThan, "range": GK.Range}
#: ``measure`` of an outcome -> individual.
MEASURES = {"level": GK.Level, "change": GK.Change}
#: ``direction`` of a change or a claim -> individual.
DIRECTIONS = {"increase": GK.Increase, "decrease": GK.Decrease, "no-change": GK.NoChange}
#: ``type`` of an event -> class.
EVENT_TYPES = {"meeting": GK.Meeting, "typhoon": GK.Typhoon}
#: ``status`` of an entry -> individual (accepted is the default and is not written into the graph).
STATUSES = {"draft": GK.Draft, "accepted": GK.Accepted}


class Period:
    """A period phrase of a report, read as an interval relative to the report's date.

    ``begin`` is ``"year-start"`` (1 January of the report's year) or ``None`` (not stated);
    ``instant`` periods are the report's date itself.
    """

    def __init__(self, slug: str, en: str, begin: str | None, instant: bool, reason: str):
        self.slug, self.en, self.begin, self.instant, self.reason = slug, en, begin, instant, reason


#: Period phrases (``period: {zh: …}``) that ``govkg build`` resolves to an interval.
PERIODS = {
    "今年以来": Period("jinnianyilai", "since the start of this year", "year-start", False,
                   "Derived from 今年以来 and the report's date: from 1 January of the report's year to the report's date."),
    "至今": Period("zhijin", "to date", None, False,
                 "Derived from 至今 and the report's date: an interval ending at the report's date; its start is not stated."),
    "累计": Period("leiji", "cumulative", None, False,
                 "Derived from 累计 and the report's date: a running total up to the report's date; its start is not stated."),
    "目前": Period("muqian", "currently", None, True,
                 "Derived from 目前 and the report's date: the state at the report's date."),
    "现有": Period("xianyou", "currently", None, True,
                 "Derived from 现有 and the report's date: the state at the report's date."),
}

#: Enumerations of the YAML format by name (``enum:<name>`` in ``govkg.model``).
ENUMS = {
    "site": SITE_TYPES, "place": PLACE_TYPES, "org": ORG_TYPES, "comparator": COMPARATORS,
    "measure": MEASURES, "direction": DIRECTIONS, "event": EVENT_TYPES, "status": STATUSES,
}
