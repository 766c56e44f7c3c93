"""YAML written as a person would: text of several lines as a literal block, tags as ``[a, b]``.

The deck files the app writes (``import-anki``'s decks, a card added with ``add``) are read
and edited by people afterwards, so they should look hand-written. PyYAML still chooses
the quoting: where a literal block cannot hold a text (trailing spaces on a line), it
falls back to a double-quoted string, which holds anything.
"""

from __future__ import annotations

import yaml

__all__ = ["Dumper", "Tags"]


# What YAML 1.1 reads as line breaks besides CR and LF: written as they are, a reader would
# turn them into newlines or spaces.
_OTHER_BREAKS = ("\x85", "\u2028", "\u2029")


class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Writes text of several lines as a literal block and ``Tags`` on one line."""


class Tags(list):
    """A card's tags, written on one line."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(mark in value for mark in _OTHER_BREAKS):
        style = '"'  # only escaped (\N, \L, \P) do they read back as themselves
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _tags(dumper: yaml.SafeDumper, value: Tags) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


Dumper.add_representer(str, _text)
Dumper.add_representer(Tags, _tags)
