import type { Kysely, Migration } from "kysely";

/**
 * The work queue's surname search within an operator's center or a supervisor's region. With only
 * (surname, …) and (center, …) to choose from, a prefix search in a center of 18,000 applications
 * read every one of them from the table to test its surname (70 ms and more over 4,000,000
 * applications); with the scope and the surname in one index only the matching rows are read. No
 * role that sees the queue searches without a scope, so the unscoped surname index goes.
 */
export const queueSurnameScoped: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex("applications_queue_surname").execute();
    for (const [name, scope] of [
      ["applications_queue_center_surname", "center"],
      ["applications_queue_region_surname", "region"],
    ] as const)
      await db.schema
        .createIndex(name)
        .on("applications")
        .columns([scope, "surname", "submitted_at", "number"])
        .execute();
  },
};
