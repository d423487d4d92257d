import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BatchedLookup } from "./batchedLookup.ts";

describe("BatchedLookup", () => {
  test("keys asked for in one turn share a query, in batches of at most maxBatch; a failure reaches every caller", async () => {
    const queries: string[][] = [];
    const lookup = new BatchedLookup<string, string>(async (keys) => {
      queries.push(keys);
      return new Map(keys.filter((key) => key !== "absent").map((key) => [key, key.toUpperCase()]));
    }, 2);
    const answers = await Promise.all(["a", "b", "a", "absent"].map((key) => lookup.get(key)));
    assert.deepEqual(answers, ["A", "B", "A", undefined]);
    assert.deepEqual(queries, [["a", "b"], ["absent"]], "each key once, at most two per query");
    assert.equal(await lookup.get("c"), "C", "a later turn makes a new query");
    assert.equal(queries.length, 3);

    const failing = new BatchedLookup<string, string>(() => Promise.reject(new Error("database is down")));
    const results = await Promise.allSettled([failing.get("x"), failing.get("y")]);
    assert.deepEqual(results.map((result) => result.status), ["rejected", "rejected"]);
  });
});
