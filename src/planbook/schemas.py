"""A schemas folder, loaded and checked: its vocabularies, and (on first use) its tables.

The one loader of the folder: ``load_vocabularies`` gives the object every stage is
handed; its ``table_schemas()`` reads the pandera table schemas of ``tables/`` the first
time a check asks, then keeps them (``check/tables.py`` knows their format).

A schemas folder's ``vocabularies.yaml`` holds the Delivery Status and RAG words, its
``councils.yaml`` the councils, their names and groups (format: docs/vocabularies.md). The
folder is the one the user names (``--schemas DIR``), else the defaults shipped inside the
package, ``planbook/default_schemas/`` (``default_schemas_dir``). ``load_vocabularies``
reads both files into frozen dataclasses; anything wrong with a file (missing, not YAML,
wrong shape, an alias naming no value, a group naming an unknown code, one spelling meaning
two things) raises ``SchemaFileError`` with one line: ``schemas/councils.yaml: <problem>``.

Names are compared by ``match_key``: case and runs of white space ignored. Council names
also ignore spaces around ``&`` and a trailing full stop (``council_key``).
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from planbook.errors import PlanbookError

if TYPE_CHECKING:
    from planbook.check.tables import TableSchema

VOCABULARIES_FILE = "vocabularies.yaml"
COUNCILS_FILE = "councils.yaml"
#: The package folder (``src/planbook/default_schemas/``) holding the default schemas.
DEFAULT_SCHEMAS_FOLDER = "default_schemas"
EVERY_COUNCIL = "every"
DEFAULT_SCOPE_PHRASE_MIN_WORDS = 3


class SchemaFileError(PlanbookError):
    """A file of a schemas folder is missing or says something planbook cannot use."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{_display(self.path)}: {problem}")


def match_key(text: str, most_words: int | None = None) -> str:
    """The form a status or RAG spelling is compared in; "" when ``text`` has more than
    ``most_words`` words, so no spelling of at most that many can be it (a milestone
    scanned for a stray status is a sentence: only its first words are looked at)."""
    if most_words is None:
        return " ".join(text.split()).casefold()
    words = text.split(maxsplit=most_words)
    return "" if len(words) > most_words else " ".join(words).casefold()


def _most_words(keys: Iterable[str]) -> int:
    return max((len(key.split()) for key in keys), default=0)


def council_key(text: str) -> str:
    """The form a council name is compared in ("H & EH" is "h&eh", "Vale." is "vale")."""
    key = match_key(text).replace(" &", "&").replace("& ", "&")
    return key.rstrip(".").rstrip()


# --- the vocabularies ---------------------------------------------------------------------


def _keep_hash(vocabulary: Any) -> None:
    """Store a frozen dataclass's hash of its compared fields, for ``_kept_hash``."""
    compared = tuple(getattr(vocabulary, f.name) for f in fields(vocabulary) if f.compare)
    object.__setattr__(vocabulary, "_hash", hash(compared))


def _kept_hash(vocabulary: Any) -> int:
    # Why: a vocabulary is a key of the per-cell caches (``lru_cache``): hashing its
    # tuples of spellings on each of a few hundred thousand lookups cost a tenth of a
    # second of a big plan's check.
    try:
        return vocabulary._hash
    except AttributeError:  # unpickled: made again, as text hashes differ by process
        _keep_hash(vocabulary)
        return vocabulary._hash


def _state_without_hash(vocabulary: Any) -> dict[str, Any]:
    """What pickle keeps of a vocabulary: all but its hash, which another process (with
    other hashes of text) must make anew."""
    return {name: value for name, value in vars(vocabulary).items() if name != "_hash"}


@dataclass(frozen=True)
class StatusVocabulary:
    """Delivery Status: canonical values and aliases (spelling, value) in file order."""

    values: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...] = ()
    #: The value that means done (derived RAG B) and the one that means paused (A).
    complete: str | None = None
    paused: str | None = None
    _values_by_key: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _aliases_by_key: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    #: The most words any spelling has.
    most_words: int = field(init=False, repr=False, compare=False, hash=False)
    _hash: int = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Why: lookups run once per cell; build the dictionaries once per vocabulary.
        object.__setattr__(self, "_values_by_key", {match_key(v): v for v in self.values})
        object.__setattr__(self, "_aliases_by_key", {match_key(a): v for a, v in self.aliases})
        object.__setattr__(
            self, "most_words", _most_words([*self._values_by_key, *self._aliases_by_key])
        )
        _keep_hash(self)

    __hash__ = _kept_hash
    __getstate__ = _state_without_hash

    def value_for(self, key: str) -> str | None:
        """The canonical value whose match key is ``key``."""
        return self._values_by_key.get(key)

    def alias_for(self, key: str) -> str | None:
        """The canonical value an alias with match key ``key`` stands for."""
        return self._aliases_by_key.get(key)

    def spellings(self) -> dict[str, str]:
        """Every accepted match key -> the value it stands for (for "did you mean")."""
        return {**self._values_by_key, **self._aliases_by_key}


@dataclass(frozen=True)
class RagVocabulary:
    """Declared RAG: letters, not-applicable spellings, aliases, and fills per letter."""

    values: tuple[str, ...]
    not_applicable: tuple[str, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    fills: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fill_tolerance: float = 60.0
    _values_by_key: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _aliases_by_key: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _na_keys: frozenset[str] = field(init=False, repr=False, compare=False, hash=False)
    #: The most words any spelling has.
    most_words: int = field(init=False, repr=False, compare=False, hash=False)
    _hash: int = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_values_by_key", {match_key(v): v for v in self.values})
        object.__setattr__(self, "_aliases_by_key", {match_key(a): v for a, v in self.aliases})
        object.__setattr__(self, "_na_keys", frozenset(map(match_key, self.not_applicable)))
        keys = [*self._values_by_key, *self._aliases_by_key, *self._na_keys]
        object.__setattr__(self, "most_words", _most_words(keys))
        _keep_hash(self)

    __hash__ = _kept_hash
    __getstate__ = _state_without_hash

    @property
    def not_applicable_value(self) -> str | None:
        """How a not-applicable RAG is written back: the first spelling listed."""
        return self.not_applicable[0] if self.not_applicable else None

    def value_for(self, key: str) -> str | None:
        return self._values_by_key.get(key)

    def alias_for(self, key: str) -> str | None:
        return self._aliases_by_key.get(key)

    def is_not_applicable(self, key: str) -> bool:
        return key in self._na_keys

    def spellings(self) -> dict[str, str]:
        """Every accepted match key -> the value it stands for (for "did you mean")."""
        na = dict.fromkeys(self._na_keys, self.not_applicable_value or "")
        return {**self._values_by_key, **self._aliases_by_key, **na}


@dataclass(frozen=True)
class Council:
    code: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CouncilGroup:
    name: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class CouncilRegistry:
    """The contract's councils in reporting order, and the groups that name several."""

    councils: tuple[Council, ...]
    groups: tuple[CouncilGroup, ...] = ()
    scope_phrase_min_words: int = DEFAULT_SCOPE_PHRASE_MIN_WORDS
    _by_key: dict[str, tuple[str, tuple[str, ...]]] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _hash: int = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        by_key: dict[str, tuple[str, tuple[str, ...]]] = {}
        for spelling, codes in _council_spellings(self.councils, self.groups):
            by_key.setdefault(council_key(spelling), (spelling, codes))
        object.__setattr__(self, "_by_key", by_key)
        _keep_hash(self)

    __hash__ = _kept_hash
    __getstate__ = _state_without_hash

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(council.code for council in self.councils)

    def council(self, code: str) -> Council | None:
        return next((c for c in self.councils if c.code == code), None)

    def lookup(self, name: str) -> tuple[str, ...] | None:
        """The codes a council name, code, alias or group name stands for, any case."""
        found = self._by_key.get(council_key(name))
        return found[1] if found else None

    def spellings(self) -> dict[str, str]:
        """Every name's match key -> the name as the file writes it (for "did you mean")."""
        return {key: spelling for key, (spelling, _) in self._by_key.items()}


def _council_spellings(
    councils: Iterable[Council], groups: Iterable[CouncilGroup]
) -> Iterable[tuple[str, tuple[str, ...]]]:
    for council in councils:
        for spelling in (council.code, council.name, *council.aliases):
            yield spelling, (council.code,)
    for group in groups:
        yield group.name, group.codes


@dataclass(frozen=True)
class Vocabularies:
    """A schemas folder, loaded once and handed to every stage: its vocabularies, read
    at once, and its table schemas, read when a check first needs them (they need pandera,
    the heaviest import) and then kept, however many workbooks are checked."""

    status: StatusVocabulary
    rag: RagVocabulary
    councils: CouncilRegistry
    directory: Path | None = None
    _tables: dict[int, TableSchema] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def table_schemas(self) -> dict[int, TableSchema]:
        """Part (1, 2, 3) -> the table schema of the folder's ``tables/`` checking it."""
        if not self._tables:
            from planbook.check.tables import load_table_schemas

            if self.directory is None:
                raise SchemaFileError(Path("tables"), "no schemas folder to read them from")
            self._tables.update(load_table_schemas(self.directory))
        return self._tables


# --- loading ------------------------------------------------------------------------------


def default_schemas_dir() -> Path:
    """The default schemas folder: ``planbook/default_schemas/``, shipped in the package.

    The only default. Why not a ``schemas/`` folder in the working folder too: which rules a
    check ran with would then depend on where it was run from; a council's own folder is
    always named (``--schemas DIR``).
    """
    shipped = importlib.resources.files("planbook").joinpath(DEFAULT_SCHEMAS_FOLDER)
    # Why the isinstance: a package imported from a zip has no folder to hand out.
    if not isinstance(shipped, Path) or not shipped.is_dir():
        raise SchemaFileError(
            Path(str(shipped)),
            "the default schemas are missing from this install of planbook "
            "(reinstall it, or pass --schemas DIR)",
        )
    return shipped


def load_vocabularies(directory: Path | str | None = None) -> Vocabularies:
    """Read and check ``vocabularies.yaml`` and ``councils.yaml`` from ``directory``."""
    folder = Path(directory) if directory is not None else default_schemas_dir()
    status, rag = _load_vocabularies_file(folder / VOCABULARIES_FILE)
    councils = _load_councils_file(folder / COUNCILS_FILE)
    return Vocabularies(status=status, rag=rag, councils=councils, directory=folder)


def _load_vocabularies_file(path: Path) -> tuple[StatusVocabulary, RagVocabulary]:
    data = _Checker(path, read_yaml(path))
    data.only_keys(data.root, "the file", {"delivery_status", "rag"})
    return _status_vocabulary(data), _rag_vocabulary(data)


def _status_vocabulary(data: _Checker) -> StatusVocabulary:
    section = data.mapping(data.root.get("delivery_status"), "delivery_status")
    data.only_keys(section, "delivery_status", {"values", "aliases", "complete", "paused"})
    values = data.values(section.get("values"), "delivery_status.values")
    aliases = data.aliases(_optional(section, "aliases", {}), "delivery_status", values)
    meanings = {}
    for meaning in ("complete", "paused"):
        value = _optional(section, meaning, None)
        if value is not None and value not in values:
            data.fail(f"delivery_status.{meaning} {_show(value)} is not one of the values")
        meanings[meaning] = value
    return StatusVocabulary(values=values, aliases=aliases, **meanings)


def _rag_vocabulary(data: _Checker) -> RagVocabulary:
    section = data.mapping(data.root.get("rag"), "rag")
    data.only_keys(
        section, "rag", {"values", "not_applicable", "aliases", "fills", "fill_tolerance"}
    )
    values = data.values(section.get("values"), "rag.values")
    not_applicable = data.names(_optional(section, "not_applicable", []), "rag.not_applicable")
    aliases = data.aliases(_optional(section, "aliases", {}), "rag", values)
    data.distinct_spellings(
        "rag",
        [(v, v) for v in values] + [(n, "not applicable") for n in not_applicable] + list(aliases),
    )
    fills = data.fills(_optional(section, "fills", {}), values)
    tolerance = _optional(section, "fill_tolerance", 60)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
        data.fail(f"rag.fill_tolerance must be a number from 0 to 441, not {tolerance!r}")
    return RagVocabulary(values, not_applicable, aliases, fills, float(tolerance))


def _load_councils_file(path: Path) -> CouncilRegistry:
    data = _Checker(path, read_yaml(path))
    data.only_keys(data.root, "the file", {"councils", "groups", "scope_phrase_min_words"})
    councils = tuple(_councils(data))
    groups = tuple(_groups(data, councils))
    min_words = _optional(data.root, "scope_phrase_min_words", DEFAULT_SCOPE_PHRASE_MIN_WORDS)
    if isinstance(min_words, bool) or not isinstance(min_words, int) or min_words < 1:
        data.fail(f"scope_phrase_min_words must be a whole number of 1 or more, not {min_words!r}")
    spellings = list(_council_spellings(councils, groups))
    for spelling, _ in spellings:
        if any(separator in spelling for separator in ",;\n\r"):
            data.fail(
                f"name '{spelling}' holds a comma, semicolon or line break, which separate names"
            )
    data.distinct_spellings("councils", spellings, council_key)
    return CouncilRegistry(councils, groups, min_words)


def _councils(data: _Checker) -> Iterable[Council]:
    entries = data.root.get("councils")
    if not isinstance(entries, list) or not entries:
        data.fail("'councils' must be a list of councils, each with a code and a name")
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        where = f"council {number}"
        entry = data.mapping(entry, where)
        data.only_keys(entry, where, {"code", "name", "aliases", "note"})
        code = data.text(entry.get("code"), f"{where} code")
        name = data.text(entry.get("name"), f"council {code} name")
        if code.casefold() in seen:
            data.fail(f"council code '{code}' is listed twice")
        seen.add(code.casefold())
        aliases = data.names(_optional(entry, "aliases", []), f"council {code} aliases")
        yield Council(code, name, aliases)


def _groups(data: _Checker, councils: tuple[Council, ...]) -> Iterable[CouncilGroup]:
    codes = [council.code for council in councils]
    for name, members in data.mapping(_optional(data.root, "groups", {}), "groups").items():
        name = data.text(name, "a group name")
        if members == EVERY_COUNCIL:
            yield CouncilGroup(name, tuple(codes))
            continue
        if not isinstance(members, list) or not members:
            data.fail(f"group '{name}' must list council codes or say '{EVERY_COUNCIL}'")
        for member in members:
            if member not in codes:
                data.fail(f"group '{name}' names unknown council '{member}'")
        yield CouncilGroup(name, tuple(code for code in codes if code in members))


class _Checker:
    """Shape checks on one parsed file; each failure is a one-line SchemaFileError."""

    def __init__(self, path: Path, root: Mapping[str, Any]) -> None:
        self.path = path
        self.root = root

    def fail(self, problem: str) -> NoReturn:
        raise SchemaFileError(self.path, problem)

    def mapping(self, value: Any, where: str) -> Mapping[Any, Any]:
        if value is None:
            self.fail(f"'{where}' is missing or empty")
        if not isinstance(value, dict):
            self.fail(f"'{where}' must be a mapping (name: value lines), found {_kind(value)}")
        return value

    def only_keys(self, section: Mapping[Any, Any], where: str, allowed: set[str]) -> None:
        for key in section:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.fail(f"unknown key '{key}' in {where} (expected: {expected})")

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            hint = " (put it in quotes)" if value is not None else ""
            self.fail(f"{where} must be text, found {_kind(value)}{hint}")
        return value.strip()

    def names(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail(f"'{where}' must be a list of names, found {_kind(value)}")
        names = tuple(self.text(item, f"an entry of '{where}'") for item in value)
        seen: set[str] = set()
        for name in names:
            if match_key(name) in seen:
                self.fail(f"'{name}' is listed twice in '{where}'")
            seen.add(match_key(name))
        return names

    def values(self, value: Any, where: str) -> tuple[str, ...]:
        names = self.names(value, where)
        if not names:
            self.fail(f"'{where}' must list at least one value")
        return names

    def aliases(
        self, value: Any, section: str, values: tuple[str, ...]
    ) -> tuple[tuple[str, str], ...]:
        pairs = []
        for alias, target in self.mapping(value, f"{section}.aliases").items():
            alias = self.text(alias, f"an alias in '{section}.aliases'")
            if target not in values:
                allowed = ", ".join(values)
                self.fail(f"{section} alias '{alias}' points at {target!r}, not one of: {allowed}")
            pairs.append((alias, target))
        self.distinct_spellings(section, [(v, v) for v in values] + pairs)
        return tuple(pairs)

    def distinct_spellings(
        self, where: str, pairs: Iterable[tuple[str, Any]], key: Any = match_key
    ) -> None:
        meaning: dict[str, tuple[str, Any]] = {}
        for spelling, target in pairs:
            first = meaning.setdefault(key(spelling), (spelling, target))
            if first[1] != target:
                self.fail(
                    f"'{spelling}' in {where} means {_show(target)}, "
                    f"but '{first[0]}' already means {_show(first[1])}"
                )

    def fills(self, value: Any, values: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        fills = []
        for letter, colours in self.mapping(value, "rag.fills").items():
            if letter not in values:
                self.fail(f"rag.fills names {letter!r}, not one of: {', '.join(values)}")
            if not isinstance(colours, list):
                self.fail(f'rag.fills.{letter} must be a list of colours like "FF0000"')
            fills.append((letter, tuple(self.colour(c, letter) for c in colours)))
        return tuple(fills)

    def colour(self, value: Any, letter: str) -> str:
        text = value.strip().lstrip("#").upper() if isinstance(value, str) else ""
        if len(text) == 8:
            text = text[2:]  # Why: Excel writes ARGB; the alpha byte means nothing for fills.
        if len(text) != 6 or any(c not in "0123456789ABCDEF" for c in text):
            self.fail(
                f"rag.fills.{letter}: {value!r} is not an RGB colour; "
                'write six hex digits in quotes, like "FF0000"'
            )
        return text


try:  # libyaml's parser, where PyYAML was built with it: several times faster
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _UniqueKeyLoader(_SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML keeps the last)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str | int | float | bool) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark
            )
        if isinstance(key, str | int | float | bool):
            seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def read_yaml(path: Path) -> Mapping[str, Any]:
    """A schemas-folder file's mapping; anything else is a ``SchemaFileError`` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaFileError(path, "file not found") from None
    except UnicodeDecodeError:
        raise SchemaFileError(path, "is not UTF-8 text") from None
    except OSError as exc:
        raise SchemaFileError(path, f"cannot be read ({exc.strerror})") from None
    try:
        # Why not yaml.safe_load: the same safe loader, but a key written twice is an error.
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        raise SchemaFileError(path, _yaml_problem(exc)) from None
    except yaml.YAMLError as exc:
        raise SchemaFileError(path, f"not valid YAML: {_one_line(str(exc))}") from None
    if not isinstance(data, dict):
        raise SchemaFileError(path, f"must be a mapping of sections, found {_kind(data)}")
    return data


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    where = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
    problem = _one_line(exc.problem or exc.context or "unreadable")
    if problem.startswith("duplicate key"):
        return f"{problem}{where}"
    return f"not valid YAML: {problem}{where}"


def _optional(section: Mapping[Any, Any], key: str, default: Any) -> Any:
    """An optional entry; written with no value (``aliases:``) it means the default."""
    value = section.get(key)
    return default if value is None else value


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"yes/no value {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, str):
        return f"text {value!r}"
    return f"{type(value).__name__} {value!r}"


def _show(target: Any) -> str:
    if isinstance(target, tuple):
        return "+".join(target)
    return f"'{target}'"


def _display(path: Path) -> str:
    """The path relative to the working folder when it lies under it (as users typed it)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)
