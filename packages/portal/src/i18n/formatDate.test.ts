import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDate } from "./index.ts";

test("dates are those of Almaty: midnight there, before and after Kazakhstan's move to UTC+5 in March 2024", () => {
  assert.equal(formatDate(new Date("2026-11-25T18:59:59.999Z")), "25.11.2026");
  assert.equal(formatDate(new Date("2026-11-25T19:00:00.000Z")), "26.11.2026");
  assert.equal(formatDate(new Date("2023-05-01T17:59:59.999Z")), "01.05.2023");
  assert.equal(formatDate(new Date("2023-05-01T18:00:00.000Z")), "02.05.2023");
});

test("every instant gets the date ICU gives for Asia/Almaty, asked again or not", () => {
  const icu = new Intl.DateTimeFormat("ru-RU", { timeZone: "Asia/Almaty", day: "2-digit", month: "2-digit", year: "numeric" });
  const from = Date.UTC(1990, 0, 1);
  const to = Date.UTC(2045, 0, 1);
  for (let k = 0; k < 20_000; k++) {
    const date = new Date(from + Math.floor(Math.random() * (to - from)));
    assert.equal(formatDate(date), icu.format(date), date.toISOString());
    assert.equal(formatDate(new Date(date.getTime() + 1)), icu.format(new Date(date.getTime() + 1)), date.toISOString());
  }
});
