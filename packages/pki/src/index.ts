export * from "./algorithms.ts";
export * from "./der.ts";
export * from "./errors.ts";
export * from "./iin.ts";
export * from "./oids.ts";
export * from "./pem.ts";
export * from "./ber.ts";
