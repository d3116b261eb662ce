"""Splitting a container's log stream into lines, with the unfinished line bounded."""

from agent.logs import LINE_LIMIT, take_lines


def test_lines_split_across_chunks_come_out_whole():
    lines, rest = take_lines(b"", b"one\ntw")
    assert lines == [b"one"] and rest == b"tw"
    lines, rest = take_lines(rest, b"o\nthree")
    assert lines == [b"two"] and rest == b"three"


def test_output_without_newlines_is_never_held_beyond_one_line_limit():
    rest, sent = b"", 0
    for _ in range(1000):  # 8 MB in 8 KB chunks and not one newline
        lines, rest = take_lines(rest, b"x" * 8192)
        assert all(len(line) <= LINE_LIMIT for line in lines)
        sent += sum(len(line) for line in lines)
        assert len(rest) <= LINE_LIMIT
    assert sent + len(rest) == 8192 * 1000  # nothing lost, only cut
