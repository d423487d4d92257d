import { test } from "node:test";
import assert from "node:assert/strict";
import { checkBin, checkIin, makeIin, NCA_TEST_IIN } from "./iin.ts";

test("IIN: the checksum, both weight rounds, the birth date and the century digit", () => {
  assert.equal(checkIin("900101300017"), undefined);
  assert.equal(checkIin("900101300018"), "checksum");
  assert.equal(checkIin("90010130001"), "format");
  assert.equal(checkIin("9001013000a7"), "format");
  assert.equal(checkIin("901301300017"), "birth_date");
  assert.equal(checkIin("900101700017"), "century");
  assert.equal(checkIin(NCA_TEST_IIN), "century", "NCA's public test IIN is not a valid IIN");
  // Every made IIN passes; about one in eleven serials has no valid check digit at all.
  let made = 0;
  for (let serial = 0; serial < 200; serial++) {
    const iin = makeIin(new Date(Date.UTC(1975, 6, 31)), serial % 2 ? "female" : "male", serial);
    if (iin === undefined) continue;
    made++;
    assert.equal(checkIin(iin), undefined, iin);
    assert.equal(iin.slice(0, 7), serial % 2 ? "7507314" : "7507313");
  }
  assert.ok(made > 150 && made < 200);
});

test("BIN: type digit and checksum", () => {
  assert.equal(checkBin("990340001238"), "checksum");
  const valid = ["99034000123", "05124000456"].map((first11) => {
    for (let digit = 0; digit < 10; digit++) if (checkBin(first11 + digit) === undefined) return first11 + digit;
    return undefined;
  });
  assert.ok(valid.every((bin) => bin !== undefined));
  assert.equal(checkBin("990370001234"), "format");
});
