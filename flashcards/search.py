"""The search language (a subset of Anki's) -> one SQL condition over ``cards`` joined with
``decks``, with parameters: user text never enters the SQL.

``kv cache`` (both words), ``"kv cache"`` (the phrase), ``-word`` (not), ``a or b``,
``(a or b) c``, ``deck:NAME``, ``tag:NAME`` (``*`` is a wildcard in both),
``is:new|learning|review|due|suspended|buried|leech|retired``, ``type:basic|reverse|cloze``,
``prop:ivl>=30``, ``prop:lapses>2``, ``prop:ease<2.0``, ``prop:due<=3``, ``rated:N``,
``added:N``. ``and`` binds tighter than ``or``. Retired cards are left out unless the query
asks for ``is:retired``.

Words and phrases match the front, the back or a tag as substrings, case-insensitive for
Latin letters. The trigram index of migration 4 finds the candidates (a term of one or two
characters through the trigrams that start with it), and every candidate is checked against
the card's own text with ``LIKE``, so the index only ever makes a search faster.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flashcards import export
from flashcards.model import Search
from flashcards.schema import SEARCH_SEPARATOR
from flashcards.store import CARD_FROM, Store, due_sql, status_sql

STATES = ("new", "learning", "review", "due", "suspended", "buried", "leech", "retired")
TYPES = ("basic", "reverse", "cloze")
# prop:NAME -> its column; due is compared as a day counted from today.
PROPS = {"ivl": "cards.interval", "lapses": "cards.lapses", "ease": "cards.easiness",
         "due": "cards.due"}
FIELDS = ("deck", "tag", "is", "type", "prop", "rated", "added")
# A one- or two-character term whose trigrams appear this often is common: a scan finds a
# page of it at once, where reading all its postings would take longer than the page.
COMMON_POSTINGS = 20_000
MAX_DAYS = 36_500  # rated:, added:, prop:due: a hundred years
# The search results are in the order the cards were added: the order of the table, so the
# first page comes without sorting every match.
ORDER = "cards.id"
# The orders the browser offers, each a column of ``cards``; ties go by ``cards.id``.
SORTS = {"added": "cards.id", "due": "cards.due", "interval": "cards.interval",
         "ease": "cards.easiness", "lapses": "cards.lapses"}
# Nine digits at most: every number stays within SQLite's integers.
_PROP = re.compile(r"[a-z]+(?P<op><=|>=|!=|<|>|=)(?P<value>-?\d{1,9}(?:\.\d{1,9})?)$")


class SearchError(ValueError):
    """A query that does not parse, said in one line that points at the offending token."""

    def __init__(self, message: str, column: int, hint: str = "") -> None:
        super().__init__(f"search: {message} at column {column}{hint}")


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "phrase", "(", ")", "-", "or"
    text: str
    column: int  # 1-based, where the token starts
    value_column: int = 0  # a word's: where the text after "field:" starts


def _tokens(query: str) -> Iterator[_Token]:
    """The tokens of a query: parentheses, "-" right before a term, "or", quoted phrases,
    and words (a word ``field:"quoted value"`` is one token)."""
    index = 0
    while index < len(query):
        char = query[index]
        column = index + 1
        if char.isspace():
            index += 1
        elif char in "()":
            yield _Token(char, char, column)
            index += 1
        elif char == "-":
            if index + 1 == len(query) or query[index + 1].isspace() or query[index + 1] == ")":
                raise SearchError("'-' needs a term right after it", column)
            yield _Token("-", char, column)
            index += 1
        elif char == '"':
            text, index = _quoted(query, index)
            yield _Token("phrase", text, column)
        else:
            text, value_column, index = _word(query, index)
            yield _Token("or" if text.lower() == "or" else "word", text, column, value_column)


def _quoted(query: str, start: int) -> tuple[str, int]:
    """The text of the quoted string at ``start`` (``\\"`` and ``\\\\`` escaped) and the
    index after it."""
    chars, index = [], start + 1
    while index < len(query):
        char = query[index]
        if char == "\\" and query[index + 1:index + 2] in ('"', "\\"):
            chars.append(query[index + 1])
            index += 2
        elif char == '"':
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    raise SearchError("unterminated quote", start + 1)


def _word(query: str, start: int) -> tuple[str, int, int]:
    """A word from ``start`` to a space or parenthesis, its value's column when it is
    ``field:value``, and the index after it; ``field:"a b"`` takes the quoted value."""
    index = start
    while index < len(query) and not query[index].isspace() and query[index] not in "()":
        if (query[index] == ":" and query[index + 1:index + 2] == '"'
                and query[start:index].lower() in FIELDS):
            value, end = _quoted(query, index + 1)
            return query[start:index + 1] + value, index + 2, end
        index += 1
    colon = query.find(":", start, index)
    return query[start:index], colon + 2 if colon >= 0 else 0, index


class _Parser:
    """Recursive descent over the tokens, writing the SQL of each term as it goes.

    query := any ("or" any)* ; any := unary+ ; unary := "-" unary | "(" query ")" | term
    """

    def __init__(self, store: Store, query: str) -> None:
        self.store = store
        self.today = store.today()
        self.tokens = list(_tokens(query))
        self.position = 0
        self.params: dict[str, Any] = {"today": self.today.isoformat()}
        self.groups: list[_Token] = []  # the "(" not closed yet
        self.asks_retired = False

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def param(self, value: Any) -> str:
        """A new named parameter holding ``value``; returns its placeholder."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def parse(self) -> str:
        """The whole query as one condition ("1" for an empty query)."""
        if not self.tokens:
            return "1"
        condition = self.any_of()
        token = self.peek()
        if token is not None:  # only a ")" stops any_of early
            raise SearchError("unmatched ')'", token.column)
        return condition

    def any_of(self) -> str:
        parts = [self.all_of()]
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            parts.append(self.all_of(after=token))
        return parts[0] if len(parts) == 1 else " OR ".join(f"({part})" for part in parts)

    def all_of(self, after: _Token | None = None) -> str:
        parts = []
        while (token := self.peek()) is not None and token.kind not in ("or", ")"):
            parts.append(self.unary())
        if not parts:
            self.missing_term(after)
        return parts[0] if len(parts) == 1 else " AND ".join(f"({part})" for part in parts)

    def missing_term(self, after: _Token | None) -> None:
        """Say why no term stands where one must: after "or", before "or", inside "()"."""
        token = self.peek()
        if after is None and token is not None and token.kind == "or":
            after = token
        if after is not None:
            raise SearchError("'or' needs a term on each side", after.column)
        if token is None:
            raise SearchError("unmatched '('", self.groups[-1].column)
        if self.groups:
            raise SearchError("empty parentheses", self.groups[-1].column)
        raise SearchError("unmatched ')'", token.column)

    def unary(self) -> str:
        token = self.take()
        if token.kind == "-":
            following = self.peek()
            if following is None or following.kind == "or":
                raise SearchError("'-' needs a term right after it", token.column)
            return f"NOT ({self.unary()})"
        if token.kind == "(":
            self.groups.append(token)
            condition = self.any_of()
            if self.peek() is None:
                raise SearchError("unmatched '('", token.column)
            self.take()
            self.groups.pop()
            return condition
        if token.kind == "phrase":
            return self.text(token.text)
        return self.word(token)

    def word(self, token: _Token) -> str:
        name, colon, value = token.text.partition(":")
        if not colon or name.lower() not in FIELDS:
            return self.text(token.text)
        if not value:
            raise SearchError(f"'{name}:' needs a value", token.column)
        return getattr(self, f"field_{name.lower()}")(value, token.value_column)

    # -- text ---------------------------------------------------------------------------------

    def text(self, text: str) -> str:
        """Front, back or a tag holds ``text``: the index's candidates, each checked."""
        pattern = self.param(f"%{_like_escape(text)}%")
        check = (f"cards.front LIKE {pattern} ESCAPE '\\' OR cards.back LIKE {pattern} "
                 f"ESCAPE '\\' OR {_tag_like(pattern)}")
        return _and(self.candidates(text), check)

    def candidates(self, needle: str) -> str | None:
        """An SQL condition true for (at least) the cards whose search text holds ``needle``,
        found through the trigram index; None when a scan is the faster way."""
        if len(needle) >= 3:
            return ("cards.id IN (SELECT rowid FROM card_search WHERE card_search MATCH "
                    f"{self.param(_trigram_query(needle))})")
        low, high = needle.lower(), needle.lower() + "\U0010ffff"
        (postings,) = self.store.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM card_search_terms WHERE term >= ? AND term < ? "
            "LIMIT ?)", (low, high, COMMON_POSTINGS),
        ).fetchone()
        if postings >= COMMON_POSTINGS:
            return None
        return (f"cards.id IN (SELECT doc FROM card_search_terms WHERE term >= {self.param(low)} "
                f"AND term < {self.param(high)})")

    # -- field:value ----------------------------------------------------------------------------

    def field_deck(self, value: str, column: int) -> str:
        return ("cards.deck_id IN (SELECT id FROM decks WHERE name LIKE "
                f"{self.param(_wildcard_like(value))} ESCAPE '\\')")

    def field_tag(self, value: str, column: int) -> str:
        # In the search text each tag stands between separators: "tag:t1" looks for the
        # separator, t1, the separator; the longest piece between wildcards is enough.
        anchored = (("" if value.startswith("*") else SEARCH_SEPARATOR) + value
                    + ("" if value.endswith("*") else SEARCH_SEPARATOR))
        needle = max(anchored.split("*"), key=len)
        check = _tag_like(self.param(_wildcard_like(value)))
        return _and(self.candidates(needle) if needle else None, check)

    def field_is(self, value: str, column: int) -> str:
        state = _choose(value, STATES, "is", column)
        if state == "retired":
            self.asks_retired = True
        if state == "due":
            return due_sql(":today")
        return f"({status_sql()}) = {self.param(state)}"

    def field_type(self, value: str, column: int) -> str:
        return f"cards.kind = {self.param(_choose(value, TYPES, 'type', column))}"

    def field_prop(self, value: str, column: int) -> str:
        name = re.match(r"[a-z]*", value.lower())[0]
        if name not in PROPS:
            raise SearchError(f"unknown prop:'{name or value}'", column,
                              f" (known: {', '.join(PROPS)})")
        match = _PROP.match(value.lower())
        if match is None:
            raise SearchError(f"'prop:{value}' needs a comparison and a number", column,
                              f" (like prop:{name}>=3)")
        # The operator is one of _PROP's, never other text.
        operator, number, field = match["op"], match["value"], PROPS[name]
        if name == "ease":
            return f"{field} {operator} {self.param(float(number))}"
        if "." in number:
            raise SearchError(f"'prop:{value}' needs a whole number", column)
        if name == "due":
            day = self.day(int(number), f"prop:{value}", column)
            return f"{field} IS NOT NULL AND {field} {operator} {self.param(day)}"
        return f"{field} {operator} {self.param(int(number))}"

    def field_rated(self, value: str, column: int) -> str:
        since = self.day(1 - self.days(value, "rated", column), f"rated:{value}", column)
        return f"cards.id IN (SELECT card_id FROM reviews WHERE day >= {self.param(since)})"

    def field_added(self, value: str, column: int) -> str:
        since = self.day(1 - self.days(value, "added", column), f"added:{value}", column)
        return f"cards.created_at >= {self.param(since)}"

    def days(self, value: str, name: str, column: int) -> int:
        """The N of ``rated:N`` or ``added:N``: a whole number of days from 1."""
        if not value.isascii() or not value.isdigit() or int(value) < 1:
            raise SearchError(f"'{name}:{value}' needs a whole number of days", column,
                              f" (like {name}:7)")
        return int(value)

    def day(self, offset: int, term: str, column: int) -> str:
        """Today plus ``offset`` days, as an ISO date."""
        if abs(offset) > MAX_DAYS:
            raise SearchError(f"'{term}' is more than {MAX_DAYS} days away", column)
        return (self.today + timedelta(days=offset)).isoformat()


def compile_search(store: Store, query: str) -> Search:
    """Compile ``query`` for this store (short terms look at its index) and today's study
    day; a query that does not parse raises ``SearchError``."""
    parser = _Parser(store, query)
    condition = parser.parse()
    if not parser.asks_retired:
        condition = f"cards.retired = 0 AND ({condition})"
    return Search(condition, parser.params)


def find_cards(store: Store, query: str, limit: int | None = None) -> Iterator[tuple]:
    """The cards matching ``query``, in the order they were added, as rows of the ``cards``
    export (``export.export_columns("cards")``), lazily; at most ``limit`` of them."""
    search = compile_search(store, query)
    return export.card_rows(store, search.where, search.params, order=ORDER, limit=limit)


def card_ids(store: Store, query: str, sort: str = "added", descending: bool = False,
             limit: int | None = None) -> list[int]:
    """The ids of the cards matching ``query`` (at most ``limit``), sorted by one of
    ``SORTS``, new cards (which have no due day) last either way.

    Only the ids: the browser keeps them (100,000 cost under a megabyte) and reads the
    rows it shows, so any page, the last one too, is one lookup by id away.
    """
    search = compile_search(store, query)
    column, direction = SORTS[sort], "DESC" if descending else "ASC"
    order = f"cards.id {direction}"
    if column != "cards.id":
        order = f"{column} IS NULL, {column} {direction}, {order}"
    return [card_id for (card_id,) in store.conn.execute(
        f"SELECT cards.id FROM {CARD_FROM} WHERE {search.where} ORDER BY {order}"
        f"{' LIMIT :limit' if limit else ''}", {**search.params, "limit": limit})]


def _and(first: str | None, second: str) -> str:
    return second if first is None else f"{first} AND ({second})"


def _choose(value: str, known: tuple[str, ...], name: str, column: int) -> str:
    if value.lower() not in known:
        raise SearchError(f"unknown {name}:'{value}'", column, f" (known: {', '.join(known)})")
    return value.lower()


def _tag_like(pattern: str) -> str:
    """SQL: one of the card's tags is LIKE the parameter ``pattern``."""
    return f"EXISTS (SELECT 1 FROM json_each(cards.tags) WHERE value LIKE {pattern} ESCAPE '\\')"


def _like_escape(text: str) -> str:
    """``text`` as literal LIKE pattern text (with ESCAPE '\\')."""
    return re.sub(r"([\\%_])", r"\\\1", text)


def _wildcard_like(value: str) -> str:
    """A deck or tag name where ``*`` is any text, as a LIKE pattern (with ESCAPE '\\')."""
    return "%".join(_like_escape(part) for part in value.split("*"))


def _trigram_query(needle: str) -> str:
    """An FTS5 query for the rows holding every trigram of ``needle`` that a covering of it
    needs (without positions, the index cannot tell if they are adjacent: the LIKE does)."""
    starts = [*range(0, len(needle) - 2, 3), len(needle) - 3]
    grams = dict.fromkeys(needle[start:start + 3] for start in starts)
    return " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams)
