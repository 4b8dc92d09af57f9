"""The CRBN rules engine: pure Python, no Django. Facts in, findings out, with the trace of every rule.

kb = load_kb()                       # or load_kb_texts({...}) for a release stored in the database
result = assess(AssessmentInput(sample=SampleFacts(...), baseline=..., lines=(...)), kb)
result.to_dict()                     # the JSON of manage.py crbn_assess --json
"""

from .engine import ENGINE_VERSION, assess
from .facts import (
    AssessmentInput,
    CopyNumberFact,
    Exon10Fact,
    ExpressionFact,
    SampleFacts,
    Segment,
    SmallVariantFact,
    StructuralVariantFact,
    TreatmentLineFact,
)
from .kb import KnowledgeBase, KnowledgeBaseError, load_kb, load_kb_texts
from .results import Assessment, Call, DrugFinding, QcStatus

__all__ = [
    "ENGINE_VERSION",
    "Assessment",
    "AssessmentInput",
    "Call",
    "CopyNumberFact",
    "DrugFinding",
    "Exon10Fact",
    "ExpressionFact",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "QcStatus",
    "SampleFacts",
    "Segment",
    "SmallVariantFact",
    "StructuralVariantFact",
    "TreatmentLineFact",
    "assess",
    "load_kb",
    "load_kb_texts",
]
