"""The people directory: one identity however a person is named (name, email, handle, alias)."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import yaml

from kenning.errors import ParseError
from kenning.schema import Person, stable_id

DIRECTORY_NAMES: frozenset[str] = frozenset({"people.yaml", "people.yml", "people.csv"})
EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)+$")
NAME_WITH_EMAIL = re.compile(r"^(?P<name>[^<]+?)\s*<(?P<email>[^>]+)>$")
# A label's trailing note: `Hon. Deb Schulte (Minister of Seniors)` is Hon. Deb Schulte.
TRAILING_NOTE = re.compile(r"\s*\([^()]*\)\s*$")
HONORIFIC = re.compile(r"^(?:(?:the\s+)?right\s+hon\.?|hon\.?|mr\.?|mrs\.?|ms\.?|mx\.?|dr\.?|"
                       r"prof\.?|sir|dame)\s+", re.I)
QUOTES = "*_`\"'“”‘’«»"
# Names that say nothing about who: never a person.
NOBODY = frozenset({"n/a", "na", "none", "tbd", "-", "?", "nobody", "unknown"})


def slugify(text: str) -> str:
    """`Jane Doe` -> `jane-doe`: the id of a person or anything named."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "unknown"


def normalise(alias: str) -> str:
    """The lookup key of a name, email or handle."""
    return " ".join(alias.strip().strip(QUOTES).lstrip("@").lower().split())


def is_weak(alias: str) -> bool:
    """True for a name that two people may share: a lone first name (`Niko`) or initials
    (`AP`). The directory resolves one only when a single person goes by it; handles
    (`nikomatsakis`, `@mara`), e-mails and full names always name one person."""
    alias = alias.strip().strip(QUOTES)
    if not alias or " " in alias or "@" in alias:
        return False
    letters = alias.replace(".", "")
    if letters.isalpha() and letters.isupper() and len(letters) <= 4:
        return True  # initials
    return alias.isalpha() and alias[0].isupper() and alias[1:].islower()


def name_keys(name: str) -> list[str]:
    """The keys a full name is found under: as written, without a trailing note, without an
    honorific (`Hon. Deb Schulte (Minister)` is also `Hon. Deb Schulte` and `Deb Schulte`)."""
    keys = [name]
    bare = TRAILING_NOTE.sub("", name).strip()
    if bare and bare != name:
        keys.append(bare)
    plain = HONORIFIC.sub("", bare or name).strip()
    if plain and " " in plain and plain not in keys:
        keys.append(plain)
    return keys


def name_from_email(email: str) -> str:
    """`jane.doe@corp.example` -> `Jane Doe`, a readable guess for unknown people."""
    local = email.split("@", 1)[0]
    parts = [p for p in re.split(r"[._-]+", local) if p]
    return " ".join(p.capitalize() for p in parts) or email


class PeopleDirectory:
    """Resolves names, emails, handles and aliases to people; learns people it has not seen.

    Full names, e-mails and handles name one person: the first person to claim one keeps it.
    Lone first names and initials (`is_weak`) may be shared: they resolve only while a single
    person goes by them, so two Joshes are never merged on "Josh".
    """

    def __init__(self, people: list[Person] | None = None) -> None:
        self._people: dict[str, Person] = {}
        self._index: dict[str, str] = {}
        self._weak: dict[str, set[str]] = {}
        for person in people or []:
            self.add(person)

    def add(self, person: Person) -> Person:
        """Add or merge a person; aliases already known to another person stay with them."""
        existing = self._people.get(person.id)
        if existing is not None:
            aliases = tuple(dict.fromkeys(existing.aliases + person.aliases))
            teams = tuple(dict.fromkeys(existing.teams + person.teams))
            person = Person(id=existing.id, name=existing.name, aliases=aliases, teams=teams)
        self._people[person.id] = person
        for key in (*name_keys(person.name), *person.aliases):
            self._index_key(key, person.id)
        return person

    def add_alias(self, person_id: str, alias: str) -> Person:
        """Record another name a known person goes by (learnt from a document)."""
        person = self._people[person_id]
        if alias in person.aliases or normalise(alias) == normalise(person.name):
            return person
        return self.add(Person(id=person_id, name=person.name, aliases=(alias,)))

    def _index_key(self, key: str, person_id: str) -> None:
        if is_weak(key):
            self._weak.setdefault(normalise(key), set()).add(person_id)
            return
        self._index.setdefault(normalise(key), person_id)
        if EMAIL.match(key.strip()):
            self._index.setdefault(normalise(key.split("@", 1)[0]), person_id)

    @property
    def people(self) -> list[Person]:
        """Everyone known, in the order they were added."""
        return list(self._people.values())

    def get(self, person_id: str) -> Person | None:
        """The person with this id, if known."""
        return self._people.get(person_id)

    def holders(self, alias: str) -> set[str]:
        """Ids of everyone who goes by this first name or these initials."""
        return set(self._weak.get(normalise(alias), set()))

    def lookup(self, mention: str) -> Person | None:
        """The known person a mention names, or None (also when a first name or initials
        belong to more than one person)."""
        mention = mention.strip()
        match = NAME_WITH_EMAIL.match(mention)
        candidates = [match.group("email"), match.group("name")] if match else name_keys(mention)
        for candidate in candidates:
            key = normalise(candidate)
            person_id = self._index.get(key)
            if person_id is None and EMAIL.match(candidate.strip()):
                person_id = self._index.get(normalise(candidate.split("@", 1)[0]))
            if person_id is None and len(self._weak.get(key, ())) == 1:
                person_id = next(iter(self._weak[key]))
            if person_id is not None:
                return self._people[person_id]
        return None

    def resolve(self, mention: str) -> Person | None:
        """The person a mention names, learning a new one when nobody matches.

        Returns None for mentions that name nobody (empty strings, `n/a`).
        """
        mention = " ".join(mention.strip().strip(QUOTES).split())
        if mention.startswith("@"):  # `@“mortent”`
            mention = "@" + mention[1:].strip(QUOTES + "@")
        if not mention or normalise(mention) in NOBODY:
            return None
        known = self.lookup(mention)
        if known is not None:
            return known
        match = NAME_WITH_EMAIL.match(mention)
        if match:
            name, aliases = match.group("name"), (match.group("email"),)
        elif EMAIL.match(mention):
            name, aliases = name_from_email(mention), (mention,)
        elif mention.startswith("@"):
            name, aliases = mention.lstrip("@"), (mention,)
        else:
            bare = TRAILING_NOTE.sub("", mention).strip() or mention
            name, aliases = bare, (mention,) if bare != mention else ()
        person_id = slugify(name)
        holder = self._people.get(person_id)
        if holder is not None and is_weak(name) and normalise(holder.name) != normalise(name):
            # "Niko" would join whoever got the id `niko` first (say Niko Smith, known as
            # Niko); a lone first name of someone else gets an id of its own.
            person_id = f"{person_id}-{stable_id(name, length=6)}"
        return self.add(Person(id=person_id, name=name, aliases=aliases))


def load_directory_file(path: Path) -> list[Person]:
    """Read a `people.yaml` or `people.csv` file into people.

    YAML: a list (or `people:` list) of mappings with `name` and optional `emails`, `handles`,
    `aliases`, `team`/`teams`. CSV: columns `name,emails,handles,aliases,team`, several values
    in one cell separated by `;`.

    Raises:
        ParseError: the file is malformed or an entry has no name.
    """
    rows: list[dict[str, object]]
    try:
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.DictReader(handle))
        else:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                data = data.get("people", [])
            if not isinstance(data, list):
                raise ParseError(str(path), "expected a list of people (or a 'people:' list)")
            rows = data
    except (yaml.YAMLError, UnicodeDecodeError, csv.Error) as exc:
        raise ParseError(str(path), f"cannot read people directory: {exc}") from exc

    def values(row: dict[str, object], key: str) -> tuple[str, ...]:
        value = row.get(key)
        if value is None or value == "":
            return ()
        if isinstance(value, list | tuple):
            return tuple(str(v).strip() for v in value if str(v).strip())
        return tuple(v.strip() for v in str(value).split(";") if v.strip())

    people: list[Person] = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not str(row.get("name") or "").strip():
            raise ParseError(str(path), f"entry {number} has no 'name'")
        name = str(row["name"]).strip()
        handles = values(row, "handles") + values(row, "handle")
        aliases = (
            values(row, "emails")
            + values(row, "email")
            + tuple(h.lstrip("@") for h in handles)
            + values(row, "aliases")
        )
        teams = values(row, "teams") + values(row, "team")
        people.append(Person(id=slugify(name), name=name, aliases=aliases, teams=teams))
    return people
