// IIN (ЖСН) and BIN (БСН): 12 digits with a mod-11 check digit, see ../../docs or
// shared/reference/nca-profiles.md.

/** NCA's public test identity; it fails the checksum on purpose. */
export const NCA_TEST_IIN = "123456789011";

const FIRST_WEIGHTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SECOND_WEIGHTS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/** The check digit for 11 digits, or undefined when no valid number starts with them. */
export function checkDigit(first11: string): number | undefined {
  const digits = [...first11].map(Number);
  const weighted = (weights: number[]) => digits.reduce((sum, digit, i) => sum + digit * weights[i]!, 0) % 11;
  let check = weighted(FIRST_WEIGHTS);
  if (check === 10) check = weighted(SECOND_WEIGHTS);
  return check === 10 ? undefined : check;
}

export type IdentifierProblem = "format" | "checksum" | "birth_date" | "century";

/** Checks an IIN: 12 digits, a real birth date with the century digit 1–6, a correct check digit. */
export function checkIin(iin: string): IdentifierProblem | undefined {
  if (!/^\d{12}$/.test(iin)) return "format";
  const centuryDigit = Number(iin[6]);
  if (centuryDigit < 1 || centuryDigit > 6) return "century";
  const century = 1800 + Math.floor((centuryDigit - 1) / 2) * 100;
  const year = century + Number(iin.slice(0, 2));
  const month = Number(iin.slice(2, 4));
  const day = Number(iin.slice(4, 6));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return "birth_date";
  return checkDigit(iin.slice(0, 11)) === Number(iin[11]) ? undefined : "checksum";
}

/** Checks a BIN: 12 digits, type digit 4/5/6, correct check digit. */
export function checkBin(bin: string): IdentifierProblem | undefined {
  if (!/^\d{12}$/.test(bin)) return "format";
  if (!"456".includes(bin[4]!)) return "format";
  return checkDigit(bin.slice(0, 11)) === Number(bin[11]) ? undefined : "checksum";
}

/** Makes a valid IIN from a birth date, sex and 4-digit serial (for demo data and tests). */
export function makeIin(birth: Date, sex: "male" | "female", serial: number): string | undefined {
  const year = birth.getUTCFullYear();
  const centuryBase = year < 1900 ? 1 : year < 2000 ? 3 : 5;
  const yymmdd =
    String(year % 100).padStart(2, "0") +
    String(birth.getUTCMonth() + 1).padStart(2, "0") +
    String(birth.getUTCDate()).padStart(2, "0");
  const first11 = yymmdd + String(centuryBase + (sex === "female" ? 1 : 0)) + String(serial).padStart(4, "0");
  const check = checkDigit(first11);
  return check === undefined ? undefined : first11 + check;
}
