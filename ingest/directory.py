"""The people directory: one identity however a person is named (name, email, handle, alias)."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

import yaml

from kenning.errors import ParseError
from kenning.schema import Person

DIRECTORY_NAMES: frozenset[str] = frozenset({"people.yaml", "people.yml", "people.csv"})
EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)+$")
NAME_WITH_EMAIL = re.compile(r"^(?P<name>[^<]+?)\s*<(?P<email>[^>]+)>$")


def slugify(text: str) -> str:
    """`Jane Doe` -> `jane-doe`: the id of a person or anything named."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "unknown"


def normalise(alias: str) -> str:
    """The lookup key of a name, email or handle."""
    return " ".join(alias.strip().lstrip("@").lower().split())


def name_from_email(email: str) -> str:
    """`jane.doe@corp.example` -> `Jane Doe`, a readable guess for unknown people."""
    local = email.split("@", 1)[0]
    parts = [p for p in re.split(r"[._-]+", local) if p]
    return " ".join(p.capitalize() for p in parts) or email


class PeopleDirectory:
    """Resolves names, emails, handles and aliases to people; learns people it has not seen."""

    def __init__(self, people: list[Person] | None = None) -> None:
        self._people: dict[str, Person] = {}
        self._index: dict[str, str] = {}
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
        for key in (person.name, *person.aliases):
            self._index.setdefault(normalise(key), person.id)
            if EMAIL.match(key.strip()):
                self._index.setdefault(normalise(key.split("@", 1)[0]), person.id)
        return person

    @property
    def people(self) -> list[Person]:
        """Everyone known, in the order they were added."""
        return list(self._people.values())

    def get(self, person_id: str) -> Person | None:
        """The person with this id, if known."""
        return self._people.get(person_id)

    def lookup(self, mention: str) -> Person | None:
        """The known person a mention names, or None."""
        mention = mention.strip()
        match = NAME_WITH_EMAIL.match(mention)
        candidates = [match.group("email"), match.group("name")] if match else [mention]
        for candidate in candidates:
            person_id = self._index.get(normalise(candidate))
            if person_id is None and EMAIL.match(candidate.strip()):
                person_id = self._index.get(normalise(candidate.split("@", 1)[0]))
            if person_id is not None:
                return self._people[person_id]
        return None

    def resolve(self, mention: str) -> Person | None:
        """The person a mention names, learning a new one when nobody matches.

        Returns None for mentions that name nobody (empty strings, `n/a`).
        """
        mention = " ".join(mention.strip().strip("*_`\"'").split())
        if not mention or normalise(mention) in {"n/a", "na", "none", "tbd", "-", "?"}:
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
            name, aliases = mention, ()
        return self.add(Person(id=slugify(name), name=name, aliases=aliases))


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
