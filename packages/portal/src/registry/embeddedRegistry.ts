import { readFile } from "node:fs/promises";
import { checkIin, InputError } from "@qoltanba/pki";
import type { Person, PortalStore } from "../storage/portalStore.ts";
import type { PersonRegistry } from "./personRegistry.ts";

/** A registry kept in the portal's persons table, loaded from a CSV or JSON file (demos, closed deployments). */
export class EmbeddedPersonRegistry implements PersonRegistry {
  constructor(private readonly store: PortalStore) {}

  find(iin: string): Promise<Person | undefined> {
    return this.store.person(iin);
  }

  /** Loads (adds or updates) persons from a `.csv` (iin,surname,given_name,patronymic with a header) or `.json` file. */
  async load(path: string): Promise<number> {
    const text = await readFile(path, "utf8");
    const persons = path.endsWith(".json") ? personsFromJson(text, path) : personsFromCsv(text, path);
    await this.store.savePersons(persons);
    return persons.length;
  }
}

function checkedPerson(
  fields: { iin?: unknown; surname?: unknown; givenName?: unknown; patronymic?: unknown },
  where: string,
): Person {
  const text = (value: unknown) => (typeof value === "string" ? value.trim() : "");
  const iin = text(fields.iin);
  if (checkIin(iin) !== undefined)
    throw new InputError("bad_person", `${where}: IIN ${JSON.stringify(iin)} is not valid`);
  const surname = text(fields.surname);
  const givenName = text(fields.givenName);
  if (!surname || !givenName)
    throw new InputError("bad_person", `${where}: surname and given name are required`);
  const patronymic = text(fields.patronymic);
  return { iin, surname, givenName, ...(patronymic ? { patronymic } : {}) };
}

function personsFromJson(text: string, path: string): Person[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError("bad_person_file", `${path} is not JSON`);
  }
  if (!Array.isArray(parsed))
    throw new InputError("bad_person_file", `${path} must hold a JSON array of persons`);
  return parsed.map((entry, index) =>
    checkedPerson(entry as Record<string, unknown>, `${path} entry ${index + 1}`),
  );
}

/** CSV as RFC 4180 writes it: quoted fields may hold commas and doubled quotes. */
function personsFromCsv(text: string, path: string): Person[] {
  const lines = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "");
  const header = splitCsvLine(lines[0] ?? "").map((name) => name.trim().toLowerCase());
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0)
      throw new InputError(
        "bad_person_file",
        `${path}: the header must name iin, surname, given_name, patronymic`,
      );
    return index;
  };
  const [iin, surname, givenName, patronymic] = [
    column("iin"),
    column("surname"),
    column("given_name"),
    column("patronymic"),
  ];
  return lines.slice(1).map((line, index) => {
    const cells = splitCsvLine(line);
    return checkedPerson(
      {
        iin: cells[iin],
        surname: cells[surname],
        givenName: cells[givenName],
        patronymic: cells[patronymic],
      },
      `${path} line ${index + 2}`,
    );
  });
}

function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      cells.push(cell);
      cell = "";
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}
