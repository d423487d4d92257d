import { sql, type Kysely, type Migration } from "kysely";

/**
 * The revoked certificates in serial order with everything a CRL entry needs, in one index (partial:
 * only revoked rows, so issuance does not maintain it): a full CRL of millions of entries reads
 * this index from end to end instead of looking up each row in the table.
 */
export const revokedBySerial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex("certificates_revoked_by_serial")
      .on("certificates")
      .columns(["serial", "revoked_at", "revocation_reason", "invalidity_date", "revocation_seq"])
      .where(sql.ref("revoked_at"), "is not", null)
      .execute();
  },
};
