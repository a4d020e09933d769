"""Who a mention names, without a people directory: aliases learnt per document and per folder.

Notes write people as initials (`AP:`), handles (`**jdoe**:`, `@mara`, `nikomatsakis`) or first
names (`Niko`), and say who they are somewhere nearby: an attendee list ("Ana Pereira (AP)"),
a table of names and handles, an e-mail address, or simply the full name or handle of the one
person in the series who could be meant. A `Roster` holds the names one document (or one
folder: a meeting series) uses and expands a short form to the fuller one it stands for when
exactly one candidate fits; `IdentityResolver` tries the document first, then its folder,
then the people directory, and records the short form as an alias of the person it found.

How conflicts resolve (docs/architecture.md, "People and identity"):
- a declaration in the document ("Ana Pereira (AP)") beats one in its folder, which beats
  the rules below; the people directory's full names, e-mails and handles are used as given;
- initials, first names and handles expand only when exactly one candidate fits in the
  scope; two Joshes in a series leave "Josh" unresolved (its own person), never merged;
- a lone first name is linked to a handle that starts with it (`Niko` → `nikomatsakis`) only
  when that handle is the only one in the series that does, and no longer name in the
  series is also a prefix of the handle.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kenning.ingest.directory import EMAIL, QUOTES, TRAILING_NOTE, PeopleDirectory, normalise
from kenning.schema import Person

# A full name: two to four capitalised words (particles such as "de" or "van" allowed).
PARTICLE = r"(?:(?:de|da|del|der|di|du|la|le|van|von|bin|al)\s+)?"
FULL_NAME = rf"[A-Z][\w'’.-]+(?:\s+{PARTICLE}[A-Z][\w'’-]+){{1,3}}"
HANDLE = r"@?[A-Za-z][\w.-]*\w"
# "Ana Pereira (AP)", "Ana Pereira (@ana)", "Ana Pereira (apereira, Payments)".
NAME_THEN_ALIAS = re.compile(rf"(?P<name>{FULL_NAME})\s*\((?P<alias>{HANDLE})[),;/]")
# "@ana (Ana Pereira)", "apereira (Ana Pereira)".
ALIAS_THEN_NAME = re.compile(rf"(?<![\w@])(?P<alias>{HANDLE})\s*\((?P<name>{FULL_NAME})\)")
# "Ana Pereira <ana.pereira@corp.example>".
NAME_THEN_EMAIL = re.compile(rf"(?P<name>{FULL_NAME})\s*<(?P<alias>[^<>\s]+@[^<>\s]+)>")
TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
NAME_HEADERS = frozenset({"name", "full name", "person", "who", "attendee", "member", "people"})
ALIAS_HEADERS = frozenset({"handle", "alias", "aliases", "initials", "github", "username", "user",
                           "login", "email", "e-mail", "nick", "nickname", "id", "abbreviation",
                           "slack", "account"})  # fmt: skip
MIN_PREFIX = 3  # letters of a first name a handle must start with, and letters left after it
MIN_SUFFIX = 4  # letters of a name a handle may end with (`pnkfelix` for Felix)
# Sibling files read to learn a folder's names; more than this and the folder is a dump, not
# a meeting series.
MAX_FOLDER_FILES = 400
MAX_FOLDER_FILE_BYTES = 2_000_000
ROSTER_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".vtt", ".srt"})


def _initials(name: str) -> set[str]:
    """`Ana Maria Pereira` -> {"AMP", "AP"}: every word, or first and last."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isupper()]
    if len(words) < 2:
        return set()
    return {"".join(w[0] for w in words).upper(), (words[0][0] + words[-1][0]).upper()}


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _handle_forms(name: str) -> set[str]:
    """Handles people make of a full name: janedoe, jdoe, janed, doej, doejane, rylev."""
    words = [_compact(w) for w in name.split() if _compact(w)]
    if len(words) < 2:
        return set()
    first, last = words[0], words[-1]
    forms = {first + last, first[0] + last, first + last[0], last + first[0], last + first,
             "".join(words)}  # fmt: skip
    # Syllables of both: `rylev` for Ryan Levick.
    forms |= {first[:a] + last[:b] for a in range(2, len(first) + 1)
              for b in range(2, len(last) + 1) if a + b >= 5}  # fmt: skip
    return forms


def is_initials(text: str) -> bool:
    """`AP`, `A.P.`: two to four capital letters."""
    letters = text.replace(".", "")
    return letters.isalpha() and letters.isupper() and 2 <= len(letters) <= 4


def is_single_token(text: str) -> bool:
    """A mention of one word: a first name, initials or a handle."""
    return bool(text) and " " not in text.strip()


def is_full_name(text: str) -> bool:
    """Two to four words, each starting with a capital (honorifics and notes allowed)."""
    return bool(re.fullmatch(FULL_NAME, TRAILING_NOTE.sub("", text).strip()))


@functools.cache
def _country_names() -> frozenset[str]:
    import pycountry

    return frozenset(
        getattr(country, attribute).lower() for country in pycountry.countries
        for attribute in ("name", "official_name", "common_name") if hasattr(country, attribute)
    )  # fmt: skip


@functools.cache
def not_a_person(name: str) -> bool:
    """Whether a capitalised name found in running text is an organisation or a country:
    "California Interscholastic Federation", "Hall Of Fame" and "Third Assessment Report"
    (probablepeople's name-or-corporation model) or "Australia" (pycountry). A handle or a
    lower-case word, or a name with an e-mail address, is never judged: probablepeople reads
    `the8472` as a company."""
    if name.lower() in _country_names():
        return True
    words = name.split()
    if sum(w[:1].isupper() for w in words) < 2 or any(c.isdigit() or c in "@<" for c in name):
        return False
    import probablepeople

    try:
        return probablepeople.tag(name)[1] == "Corporation"
    except probablepeople.RepeatedLabelError:
        return False


def _plausible_alias(alias: str, name: str) -> bool:
    """Whether `alias` can be another name of `name` (so "(Payments)" is not an alias)."""
    bare = alias.lstrip("@")
    if EMAIL.match(bare):
        return True
    if is_initials(bare):
        return bare.replace(".", "").upper() in _initials(name)
    if alias.startswith("@"):
        return True
    key = _compact(bare)
    words = [_compact(w) for w in name.split() if len(_compact(w)) >= MIN_PREFIX]
    return key in _handle_forms(name) or any(w in key for w in words)


def declared_aliases(text: str) -> list[tuple[str, str]]:
    """The (alias, full name) pairs a text declares: "Ana Pereira (AP)", "@ana (Ana Pereira)",
    "Ana Pereira <ana@corp.example>", and tables with a name column and a handle, initials
    or e-mail column."""
    pairs: list[tuple[str, str]] = []
    for pattern in (NAME_THEN_ALIAS, ALIAS_THEN_NAME, NAME_THEN_EMAIL):
        for match in pattern.finditer(text):
            name, alias = match.group("name").strip(), match.group("alias").strip()
            if _plausible_alias(alias, name) and not not_a_person(name):
                pairs.append((alias, name))
    pairs += _table_aliases(text)
    return list(dict.fromkeys(pairs))


def _table_aliases(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    header: list[str] | None = None
    for line in text.splitlines():
        row = TABLE_ROW.match(line)
        if row is None:
            header = None
            continue
        cells = [c.strip().strip(QUOTES).strip() for c in row.group(1).split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue
        names = [i for i, h in enumerate(header) if h in NAME_HEADERS]
        aliases = [i for i, h in enumerate(header) if h in ALIAS_HEADERS]
        for n in names[:1]:
            if n >= len(cells) or not is_full_name(cells[n]):
                continue
            for a in aliases:
                for alias in re.split(r"[,;/ ]+", cells[a] if a < len(cells) else ""):
                    if alias and alias != cells[n]:
                        pairs.append((alias, cells[n]))
    return pairs


@dataclass
class Roster:
    """The names one scope (a document, a folder of meetings) uses for people.

    Args:
        mentions: every way the scope names someone (attendees, speakers, owners, ...).
        declared: (alias, full name) pairs the scope declares.
        known: full names known outside the scope (the people directory): looked for in its
            text (`names`), never used to expand a short form there.
    """

    mentions: Iterable[str] = ()
    declared: Iterable[tuple[str, str]] = ()
    known: Iterable[str] = ()
    _declared: dict[str, str] = field(default_factory=dict, init=False)
    _full: list[str] = field(default_factory=list, init=False)
    _tokens: set[str] = field(default_factory=set, init=False)
    _first_to_handle: dict[str, str] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        names = {" ".join(m.strip().strip(QUOTES).split()) for m in self.mentions}
        names.discard("")
        for alias, name in self.declared:
            key = normalise(alias)
            if self._declared.get(key, name) != name:
                self._declared[key] = ""  # declared for two people: no longer a clue
            else:
                self._declared[key] = name
            names.add(name)
        self._full = sorted({TRAILING_NOTE.sub("", n).strip() for n in names if is_full_name(n)})
        self._tokens = {n.lstrip("@") for n in names if is_single_token(n) and "@" not in n[1:]}
        self._link_first_names()

    def _link_first_names(self) -> None:
        """`Niko` -> `nikomatsakis`, `Felix` -> `pnkfelix`, `simulacrum` -> `mark-simulacrum`:
        a name is linked to the one handle that starts with it, or ends with it (a name of
        `MIN_SUFFIX` letters or more), when no other handle of the scope does either."""
        lowered = {t.lower() for t in self._tokens if t.isalpha()}
        handles: dict[str, set[str]] = defaultdict(set)
        for handle in self._tokens:
            # Letters left over, so that `mark-i-m` is not Mark's (`im` is too short to be
            # the rest of a name) while `mark-simulacrum` is.
            compact = _compact(handle)
            prefixes = [f for f in lowered if len(f) >= MIN_PREFIX and compact.startswith(f)
                        and len(compact) - len(f) >= MIN_PREFIX]  # fmt: skip
            if prefixes:
                handles[max(prefixes, key=len)].add(handle)
            suffixes = [f for f in lowered if len(f) >= MIN_SUFFIX and compact.endswith(f)
                        and len(compact) - len(f) >= MIN_PREFIX]  # fmt: skip
            if suffixes:
                handles[max(suffixes, key=len)].add(handle)
        for first, found in handles.items():
            if len(found) == 1:
                self._first_to_handle[first] = next(iter(found))

    @property
    def names(self) -> set[str]:
        """Every full name and single-word name the roster knows, and the `known` names."""
        return set(self._full) | self._tokens | set(self.known)

    def expand(self, mention: str) -> str | None:
        """The fuller name a short mention stands for in this scope, if exactly one fits."""
        mention = " ".join(mention.strip().strip(QUOTES).split())
        declared = self._declared.get(normalise(mention))
        if declared:
            return declared
        if not is_single_token(mention):
            return None
        bare = mention.lstrip("@")
        if is_initials(bare):
            found = [n for n in self._full if bare.replace(".", "").upper() in _initials(n)]
        elif bare.isalpha() and not mention.startswith("@"):
            found = [n for n in self._full if n.split()[0].lower() == bare.lower()]
            if not found and bare.lower() in self._first_to_handle:
                return self._first_to_handle[bare.lower()]
        else:
            found = []
        if not found:
            key = _compact(bare)
            found = [n for n in self._full if key in _handle_forms(n)]
        return found[0] if len(found) == 1 else None


def folder_roster(
    folder: Path, read: Callable[[Path], tuple[list[str], str]], known: Iterable[str] = ()
) -> Roster:
    """The roster of a folder: the names its text files use and the aliases they declare.

    Args:
        folder: the folder (a meeting series, a team's notes).
        read: gives a file's mentions and its text (parsing is the pipeline's business).
        known: full names known outside it (see `Roster`).
    """
    mentions: list[str] = []
    declared: list[tuple[str, str]] = []
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in ROSTER_SUFFIXES)
    except OSError:
        return Roster(known=known)
    for path in files[:MAX_FOLDER_FILES]:
        try:
            if path.stat().st_size > MAX_FOLDER_FILE_BYTES:
                continue
            names, text = read(path)
        except Exception:  # noqa: BLE001 - a sibling that cannot be read teaches nothing
            continue
        mentions += names
        declared += declared_aliases(text)
    return Roster(mentions, declared, known)


class IdentityResolver:
    """Resolves mentions to people: the document's roster, its folder's, then the directory.

    Args:
        directory: the people directory (seeded from the store and `people.yaml`).
        read: gives a file's mentions and text, for learning a folder's roster.
    """

    def __init__(
        self,
        directory: PeopleDirectory,
        read: Callable[[Path], tuple[list[str], str]] | None = None,
    ) -> None:
        self.directory = directory
        self.read = read
        self._folders: dict[Path, Roster] = {}
        # The directory's full names as the ingest starts (`people.yaml`, earlier ingests),
        # so that "usually Kwame Mensah" names him in any folder; names learnt during this
        # ingest are left out, so the result does not depend on the order files are read.
        self._known = sorted({p.name for p in directory.people if is_full_name(p.name)})

    def folder(self, path: Path) -> Roster:
        """The roster of the folder holding `path`, learnt once per ingest."""
        folder = path.parent
        if folder not in self._folders:
            self._folders[folder] = (folder_roster(folder, self.read, self._known) if self.read
                                     else Roster(known=self._known))  # fmt: skip
        return self._folders[folder]

    def for_document(
        self, path: Path, mentions: Iterable[str], text: str
    ) -> Callable[[str], Person | None]:
        """A resolver for one document's mentions."""
        document = Roster(list(mentions), declared_aliases(text))
        series = self.folder(path)

        def resolve(mention: str) -> Person | None:
            target = mention
            for _ in range(2):  # "Niko" -> "nikomatsakis" -> "Niko Matsakis"
                fuller = document.expand(target) or series.expand(target)
                if not fuller or fuller == target:
                    break
                target = fuller
            person = self.directory.resolve(target)
            if person is not None and target != mention:
                person = self.directory.add_alias(person.id, mention.strip().strip(QUOTES))
            return person

        return resolve

    def roster_names(self, path: Path, mentions: Iterable[str]) -> set[str]:
        """The names a document and its folder use for people (to find them in its text)."""
        return self.folder(path).names | Roster(list(mentions)).names
