"""Pieces compressed apart make one valid gzip member, whatever the split and the middle."""

from __future__ import annotations

import gzip
import zlib

from hypothesis import given
from hypothesis import strategies as st

from metalwire.web.gzip_parts import GzipParts


@given(st.binary(max_size=5000), st.data(), st.binary(max_size=300))
def test_any_split_and_any_middle_decompress_to_the_page(
    body: bytes, data: st.DataObject, middle: bytes
) -> None:
    start = data.draw(st.integers(0, len(body)))
    end = data.draw(st.integers(start, len(body)))
    parts = GzipParts.around(body, start, end)
    assert gzip.decompress(parts.gzip(parts.middle)) == body
    assert gzip.decompress(parts.gzip(middle)) == body[:start] + middle + body[end:]


def test_a_page_compresses_about_as_well_as_whole() -> None:
    rows = (b"<tr><td>2026-11-%02d</td><td>7,8%02d</td></tr>\n" % (d, d) for d in range(1, 29))
    page = b"".join(rows)
    page = b"<html><head><title>silver</title></head><body>" + page * 20 + b"</body></html>"
    parts = GzipParts.around(page, 30, 60)
    packed = parts.gzip(parts.middle)
    # One member: zlib in gzip mode reads it to the end and checks the CRC and length.
    reader = zlib.decompressobj(31)
    assert reader.decompress(packed) == page and reader.eof and not reader.unused_data
    assert len(packed) <= 1.1 * len(gzip.compress(page, 6)) + 64
