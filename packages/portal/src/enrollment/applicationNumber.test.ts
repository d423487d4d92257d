import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatApplicationNumber,
  newApplicationNumber,
  parseApplicationNumber,
} from "./applicationNumber.ts";

test("application numbers: 16 digits with a Luhn check digit, read in groups of four", () => {
  const numbers = new Set(Array.from({ length: 2000 }, () => newApplicationNumber()));
  assert.equal(numbers.size, 2000);
  for (const number of [...numbers].slice(0, 200)) {
    assert.match(number, /^[1-9]\d{15}$/);
    assert.equal(parseApplicationNumber(number), number);
    assert.equal(parseApplicationNumber(formatApplicationNumber(number)), number);
    assert.equal(parseApplicationNumber(number.replace(/(\d{4})(?=\d)/g, "$1-")), number);
    // Any single mistyped digit is caught.
    for (let i = 0; i < 16; i++) {
      const digit = Number(number[i]);
      const typo =
        number.slice(0, i) + String((digit + 1 + Math.floor(Math.random() * 8)) % 10) + number.slice(i + 1);
      if (typo[0] !== "0") assert.equal(parseApplicationNumber(typo), undefined, `${number} → ${typo}`);
    }
  }
  // A well-known Luhn-valid number, as any card-number checker accepts it.
  assert.equal(parseApplicationNumber("4539 1488 0343 6467"), "4539148803436467");
  assert.equal(formatApplicationNumber("4539148803436467"), "4539 1488 0343 6467");
  for (const bad of [
    "",
    "123",
    "0539148803436467",
    "4539148803436468",
    "4539x48803436467",
    "45391488034364670",
  ])
    assert.equal(parseApplicationNumber(bad), undefined, bad);
});
