"""The controlled drug list: every drug a treatment line may name, with its class.

Kept as data so the migration that loads it and the demo generator read one list.
CRBN-dependent drugs are the IMiDs and CELMoDs (domain/CRBN.md section 1).
"""

from typing import NamedTuple


class DrugEntry(NamedTuple):
    name: str
    drug_class: str


IMID, CELMOD = "imid", "celmod"
DRUG_CLASSES = {
    IMID: "IMiD",
    CELMOD: "CELMoD",
    "proteasome_inhibitor": "Proteasome inhibitor",
    "anti_cd38": "Anti-CD38 antibody",
    "bcma_directed": "BCMA-directed (non-bispecific)",
    "bispecific": "Bispecific antibody",
    "car_t": "CAR-T",
    "steroid": "Steroid",
    "alkylator_asct": "Alkylator / ASCT",
    "other": "Other",
}
CRBN_DEPENDENT_CLASSES = frozenset({IMID, CELMOD})

DRUGS = (
    DrugEntry("thalidomide", IMID),
    DrugEntry("lenalidomide", IMID),
    DrugEntry("pomalidomide", IMID),
    DrugEntry("iberdomide", CELMOD),
    DrugEntry("mezigdomide", CELMOD),
    DrugEntry("bortezomib", "proteasome_inhibitor"),
    DrugEntry("carfilzomib", "proteasome_inhibitor"),
    DrugEntry("ixazomib", "proteasome_inhibitor"),
    DrugEntry("daratumumab", "anti_cd38"),
    DrugEntry("isatuximab", "anti_cd38"),
    DrugEntry("belantamab mafodotin", "bcma_directed"),
    DrugEntry("teclistamab", "bispecific"),
    DrugEntry("elranatamab", "bispecific"),
    DrugEntry("linvoseltamab", "bispecific"),
    DrugEntry("talquetamab", "bispecific"),
    DrugEntry("idecabtagene vicleucel", "car_t"),
    DrugEntry("ciltacabtagene autoleucel", "car_t"),
    DrugEntry("dexamethasone", "steroid"),
    DrugEntry("prednisone", "steroid"),
    DrugEntry("melphalan", "alkylator_asct"),
    DrugEntry("high-dose melphalan with ASCT", "alkylator_asct"),
    DrugEntry("cyclophosphamide", "alkylator_asct"),
    DrugEntry("bendamustine", "alkylator_asct"),
    DrugEntry("elotuzumab", "other"),
    DrugEntry("selinexor", "other"),
    DrugEntry("venetoclax", "other"),
    DrugEntry("panobinostat", "other"),
)
