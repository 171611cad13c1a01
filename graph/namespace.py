"""Our vocabulary as closed rdflib namespaces, so that a misspelt term fails at once."""

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

__all__ = ["GK", "ID", "KIND", "ONTOLOGY", "PREFIXES", "SCHEMA", "SOSA", "UNIT"]


class GK(DefinedNamespace):
    """The govkg ontology terms (``ontology/govkg.ttl``); kept in sync by ``tests/test_namespace.py``."""

    _NS = Namespace("https://w3id.org/govkg/ontology#")
    _fail = True

    Accepted: URIRef
    Alliance: URIRef
    Approximately: URIRef
    Association: URIRef
    Change: URIRef
    City: URIRef
    Claim: URIRef
    Community: URIRef
    CommunityCompany: URIRef
    Company: URIRef
    Comparator: URIRef
    CurationStatus: URIRef
    Decrease: URIRef
    DemonstrationSite: URIRef
    DevelopmentZone: URIRef
    Direction: URIRef
    District: URIRef
    Draft: URIRef
    EventResponse: URIRef
    Evidence: URIRef
    Exactly: URIRef
    GovernmentBody: URIRef
    Increase: URIRef
    IndustrialPark: URIRef
    Level: URIRef
    MeasureType: URIRef
    Mechanism: URIRef
    MechanismKind: URIRef
    MechanismKinds: URIRef
    MechanismUse: URIRef
    MediationTeam: URIRef
    Meeting: URIRef
    MoreThan: URIRef
    NaturalVillage: URIRef
    NewsOutlet: URIRef
    NoChange: URIRef
    Outcome: URIRef
    PartyOrganization: URIRef
    ResearchInstitute: URIRef
    ResidentGroup: URIRef
    School: URIRef
    Subdistrict: URIRef
    Town: URIRef
    Typhoon: URIRef
    Unit: URIRef
    Units: URIRef
    Village: URIRef
    VillageCommittee: URIRef
    VolunteerTeam: URIRef
    attributedTo: URIRef
    comparator: URIRef
    compiler: URIRef
    confidence: URIRef
    curationStatus: URIRef
    dateAsStated: URIRef
    dateBasis: URIRef
    direction: URIRef
    earliestDate: URIRef
    evidence: URIRef
    inResponseTo: URIRef
    inferenceReason: URIRef
    inferred: URIRef
    inferredKind: URIRef
    ledBy: URIRef
    measureType: URIRef
    mechanism: URIRef
    mechanismKind: URIRef
    period: URIRef
    photographer: URIRef
    realizedBy: URIRef
    roleAtSite: URIRef
    runBy: URIRef
    sameMeasureAs: URIRef
    since: URIRef
    site: URIRef
    sourceFile: URIRef
    titleTranslation: URIRef
    usedAt: URIRef
    visitedSite: URIRef


class _Open(Namespace):
    """An open namespace (terms are data: kinds and units are checked against the ontology when
    the data is compiled). ``_NS`` is the namespace itself, as on a ``DefinedNamespace``."""

    @property
    def _NS(self) -> Namespace:
        return Namespace(str(self))


#: Mechanism kinds (``ontology/mechanism-kinds.ttl``, kept by the kind scheme's curators).
KIND = _Open("https://w3id.org/govkg/kind/")
#: Units (``ontology/units.ttl``).
UNIT = _Open("https://w3id.org/govkg/unit/")


#: The ontology's own IRI (``rdfs:isDefinedBy`` of every term).
ONTOLOGY = URIRef("https://w3id.org/govkg/ontology")
#: Data entities: ``ID[f"site/{slug}"]``.
ID = Namespace("https://w3id.org/govkg/id/")
SCHEMA = Namespace("https://schema.org/")
SOSA = Namespace("http://www.w3.org/ns/sosa/")

#: Prefixes bound in every graph and predeclared in every query.
PREFIXES = {
    "gk": str(GK._NS),
    "kind": str(KIND._NS),
    "unit": str(UNIT._NS),
    "id": str(ID),
    "site": str(ID) + "site/",
    "area": str(ID) + "area/",
    "orgn": str(ID) + "org/",
    "mech": str(ID) + "mechanism/",
    "outcome": str(ID) + "outcome/",
    "event": str(ID) + "event/",
    "src": str(ID) + "source/",
    "use": str(ID) + "use/",
    "claim": str(ID) + "claim/",
    "schema": str(SCHEMA),
    "sosa": str(SOSA),
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
    "time": "http://www.w3.org/2006/time#",
}
