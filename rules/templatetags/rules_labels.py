"""Words for the engine's identifiers (calls, evidence kinds), so no template shows a bare identifier."""

from django import template

register = template.Library()

CALL_LABELS = {
    # the engine's verdicts (a stable interface, DESIGN.md)
    "resistance_likely": "Resistance likely",
    "resistance_possible": "Resistance possible",
    "uncertain": "Uncertain",
    "no_alteration_detected": "No alteration detected",
    "not_assessable": "Not assessable",
    # the knowledge base's cell calls (calls.yaml)
    "resistant": "Resistant",
    "reduced": "Reduced",
    "likely_sensitive": "Likely sensitive",
    "unknown": "Unknown",
}
EVIDENCE_LABELS = {
    "dna_variants": "DNA variants",
    "copy_number": "Copy number",
    "structural_variants": "Structural variants",
    "rna_junctions": "RNA junctions (exon 10)",
    "expression": "Expression",
}


@register.filter
def call_label(value: str) -> str:
    """ "resistance_likely" -> "Resistance likely"; an empty value (no earlier call) -> "none"."""
    if not value:
        return "none"
    return CALL_LABELS.get(value, value.replace("_", " "))


@register.filter
def words(value: str) -> str:
    """An identifier as words: "small_variant" -> "small variant"."""
    return str(value).replace("_", " ")


@register.filter
def evidence_label(value: str) -> str:
    """An evidence kind as the lab names it: "rna_junctions" -> "RNA junctions (exon 10)"."""
    return EVIDENCE_LABELS.get(value, words(value).capitalize())
