#!/usr/bin/env python3
"""Writes the symbol ordering file for `baton`'s release link (scripts/order-baton).

Arguments: the link map of the traced binary (lld `-Map`, `--no-demangle`), then the page
files page-trace.c wrote (one per process). Every input section of `.text` that shares a page
with code that ran is named once, by its shortest symbol, in the order the pages first ran
(the first file first). lld then places those sections first, together, so the code a server
runs sits in as few pages as it can.
"""
import bisect
import re
import sys

line_format = re.compile(r'^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+ (\s*)(.*)$')


def text_sections(map_path):
    """(address, size, [symbols]) of each input section in `.text`, by address."""
    sections, in_text = [], False
    with open(map_path, errors='replace') as lines:
        for line in lines:
            match = line_format.match(line.rstrip('\n'))
            if not match:
                continue
            depth, name = len(match.group(3)), match.group(4)
            if depth == 0:
                in_text = name == '.text'
            elif in_text and depth == 8:
                sections.append((int(match.group(1), 16), int(match.group(2), 16), []))
            elif in_text and sections:
                sections[-1][2].append(name)
    return sections


def main():
    sections = text_sections(sys.argv[1])
    starts = [section[0] for section in sections]
    named, order = set(), []
    for page_file in sys.argv[2:]:
        with open(page_file) as pages:
            for line in pages:
                page = int(line, 16)
                index = max(bisect.bisect_right(starts, page) - 1, 0)
                while index < len(sections) and sections[index][0] < page + 4096:
                    start, size, symbols = sections[index]
                    if start + size > page and symbols and index not in named:
                        named.add(index)
                        order.append(min(symbols, key=len))
                    index += 1
    sys.stdout.write(''.join(name + '\n' for name in order))
    print(f'{len(order)} sections named', file=sys.stderr)


if __name__ == '__main__':
    main()
