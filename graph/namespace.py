"""Our vocabulary as closed rdflib namespaces, so that a misspelt term fails at once."""

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

__all__ = ["GK", "KIND", "UNIT", "ID", "ONTOLOGY", "SCHEMA", "SOSA", "PREFIXES"]


class GK(DefinedNamespace):
    """The govkg ontology terms (``ontology/govkg.ttl``); kept in sync by ``tests/test_namespace.py``."""

    _NS = Namespace("https://w3id.org/govkg/ontology#")
    _fail = True

    Alliance: URIRef
    Approximately: URIRef
    Association: URIRef
    Change: URIRef
    City: URIRef
    Community: URIRef
    CommunityCompany: URIRef
    Company: URIRef
    Comparator: URIRef
    DemonstrationSite: URIRef
    DevelopmentZone: URIRef
    District: URIRef
    EventResponse: URIRef
    Evidence: URIRef
    Exactly: URIRef
    GovernmentBody: URIRef
    Level: URIRef
    MeasureType: URIRef
    Mechanism: URIRef
    MechanismKind: URIRef
    MechanismKinds: URIRef
    MediationTeam: URIRef
    Meeting: URIRef
    MoreThan: URIRef
    NaturalVillage: URIRef
    NewsOutlet: URIRef
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
    dateAsStated: URIRef
    dateBasis: URIRef
    evidence: URIRef
    inResponseTo: URIRef
    measureType: URIRef
    mechanismKind: URIRef
    period: URIRef
    realizedBy: URIRef
    site: URIRef
    sourceFile: URIRef
    usedAt: URIRef
    visitedSite: URIRef


class KIND(DefinedNamespace):
    """Mechanism kinds (``ontology/mechanism-kinds.ttl``)."""

    _NS = Namespace("https://w3id.org/govkg/kind/")
    _fail = True

    bianminfuwu: URIRef
    canyushiyusuan: URIRef
    chanyexiehui: URIRef
    dangjianlianjiangongjian: URIRef
    dangjianyinling: URIRef
    dangyuanshifandaidong: URIRef
    dangyuanxianfengdui: URIRef
    duoyuangongzhi: URIRef
    falvguwenyufalvmingbairen: URIRef
    fenjiguanlitixi: URIRef
    huanjingzhengzhi: URIRef
    huzhuyanglao: URIRef
    jingxihuaguanli: URIRef
    jitijingjiyuchanyefazhan: URIRef
    jiuyefuwu: URIRef
    juminxieshanghui: URIRef
    maodunjiufenhuajie: URIRef
    maodunjiufentiaojiedui: URIRef
    qiyefuwu: URIRef
    shanghulianmeng: URIRef
    sheqironghe: URIRef
    shequfazhangongsi: URIRef
    shequhehuoren: URIRef
    shequqianrushifuwu: URIRef
    shequyizhan: URIRef
    shipinjiankong: URIRef
    shuziqudao: URIRef
    shuzizhili: URIRef
    suqiuzhibanjizhi: URIRef
    tesechanye: URIRef
    wanggehuaguanli: URIRef
    wenhuazhili: URIRef
    xiangcunguanjia: URIRef
    xieshangyishi: URIRef
    yingjixiangying: URIRef
    yishitangyishihui: URIRef
    zhengcexuanjiang: URIRef
    zhianlianfang: URIRef
    zhiyuanfuwudui: URIRef
    zhiyuanhuzhu: URIRef
    zhongchougongjian: URIRef


class UNIT(DefinedNamespace):
    """Units of outcome numbers (``ontology/units.ttl``)."""

    _NS = Namespace("https://w3id.org/govkg/unit/")
    _fail = True

    baifenbi: URIRef
    chang: URIRef
    changci: URIRef
    ci: URIRef
    dong: URIRef
    fen: URIRef
    ge: URIRef
    gongli: URIRef
    hu: URIRef
    ji: URIRef
    jia: URIRef
    jian: URIRef
    ming: URIRef
    mu: URIRef
    qi: URIRef
    ren: URIRef
    suo: URIRef
    tian: URIRef
    wanren: URIRef
    wanyuan: URIRef
    xiang: URIRef
    xiaoshi: URIRef
    yuan: URIRef
    zhi: URIRef
    zong: URIRef


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
}
