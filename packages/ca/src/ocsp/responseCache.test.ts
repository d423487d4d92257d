import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ResponseCache } from "./responseCache.ts";

const response = (length: number) => randomBytes(length);

describe("ResponseCache", () => {
  test("returns copies of what was stored, with its time, and forgets deleted entries", () => {
    const cache = new ResponseCache(10);
    const first = response(470);
    cache.set("sha1:01", first, 1000);
    const got = cache.get("sha1:01")!;
    assert.deepEqual(got.head, first);
    assert.equal(got.thisUpdate, 1000);
    cache.set("sha1:01", response(500), 2000);
    assert.deepEqual(got.head, first, "a copy handed out does not change when the slot is reused");
    assert.equal(cache.thisUpdateOf("sha1:01"), 2000);
    assert.equal(cache.size, 1);
    assert.equal(cache.delete("sha1:01"), true);
    assert.equal(cache.get("sha1:01"), undefined);
    assert.equal(cache.delete("sha1:01"), false);
    cache.set("sha1:02", first, 3000);
    assert.deepEqual(cache.peek("sha1:02")!.head, first, "a freed slot is reused");
  });

  test("responses longer than a slot and of every length up to it are kept whole", () => {
    const cache = new ResponseCache(5000);
    const stored = new Map<string, Buffer>();
    for (let index = 0; index < 5000; index++) {
      const bytes = response(index === 0 ? 400 : 300 + (index % 900));
      stored.set(`k${index}`, bytes);
      cache.set(`k${index}`, bytes, index);
    }
    for (const [key, bytes] of stored) assert.deepEqual(cache.get(key)!.head, bytes, key);
  });

  test("when full, an entry not used since the clock last passed it goes first", () => {
    const cache = new ResponseCache(3);
    for (const key of ["a", "b", "c"]) cache.set(key, response(100), 0);
    cache.get("a");
    cache.get("c");
    cache.set("d", response(100), 0);
    assert.equal(cache.peek("b"), undefined, "b was the one not used");
    assert.ok(cache.peek("a") && cache.peek("c") && cache.peek("d"));
    assert.equal(cache.size, 3);
    assert.throws(() => new ResponseCache(0), RangeError);
  });
});
