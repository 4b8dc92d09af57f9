"""Parsers: one module per format family, pure Python, no Django.

Each module offers:
- ``sniff(head: list[str], filename: str) -> str | None``: the dialect name when the first lines look like
  this format (e.g. "Mutect2 VCF"), else None;
- ``parse(source: LineSource, options: ParseOptions, progress: Progress | None = None) -> ParseResult``: reads
  the file in a stream, keeps only the loci of ``variants.crbn`` and raises ParseError naming the line.
"""
