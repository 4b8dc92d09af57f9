"""CRBN's canonical splice sites, derived from the exon table, agree with the exon-10 introns that STAR reports
(variants/crbn.py EXON10_JUNCTIONS, CRBN.md section 2), in both builds."""

import pytest

from variants.crbn import CRBN_EXONS, EXON10_JUNCTIONS, GRCH37, GRCH38, crbn_exon_at, crbn_splice_site_at


@pytest.mark.parametrize("build", [GRCH38, GRCH37])
@pytest.mark.parametrize(("intron", "number"), [("inclusion_upstream", 9), ("inclusion_downstream", 10)])
def test_an_introns_two_end_bases_on_each_side_are_its_splice_sites(build, intron, number):
    first, last = getattr(EXON10_JUNCTIONS[build], intron)
    # Minus strand: the intron starts (donor, GT) at its highest base and ends (acceptor, AG) at its lowest.
    donor, acceptor = f"donor site of intron {number}", f"acceptor site of intron {number}"
    sites = [
        crbn_splice_site_at(build, position) for position in (last, last - 1, last - 2, first + 2, first + 1, first)
    ]
    assert sites == [donor, donor, None, None, acceptor, acceptor]


@pytest.mark.parametrize("build", [GRCH38, GRCH37])
def test_every_intron_has_four_splice_site_bases_and_no_exon_base_is_one(build):
    exons = CRBN_EXONS[build]
    span = range(exons[-1][0] - 5, exons[0][1] + 6)
    sites = [position for position in span if crbn_splice_site_at(build, position)]
    assert len(sites) == 4 * (len(exons) - 1)
    assert all(crbn_exon_at(build, position) is None for position in sites)
