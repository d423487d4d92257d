import pkcs11js, { type Handle, type PKCS11 } from "pkcs11js";
import {
  InputError,
  pinStateOf,
  pinStateText,
  pkcs11ErrorName,
  PKCS11_DEVICE_GONE,
  PKCS11_PIN_REFUSED,
} from "@qoltanba/pki";
import { hsmUnavailable, Pkcs11Module } from "./pkcs11Module.ts";

export interface Pkcs11TokenOptions {
  /** Path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly module: string;
  /** The token's label (CKA_LABEL of the token, as `pkcs11-tool --list-slots` shows it). */
  readonly slotLabel: string;
  readonly pin: string;
  /** Sessions in the pool: a session runs one operation at a time (CKR_OPERATION_ACTIVE otherwise). */
  readonly sessions?: number;
  /** While the HSM is unavailable, a new connection is tried at most this often; calls in between fail at once. */
  readonly retryIntervalMs?: number;
}

/**
 * Return codes after which the sessions (or the whole library state) cannot be trusted any more:
 * the token gone, and for a pool of long-lived sessions also a session logged out, a library that
 * lost its state or an HSM out of memory, all cured by reconnecting.
 */
const DEVICE_FAILURES: ReadonlySet<string> = new Set([
  ...PKCS11_DEVICE_GONE,
  "CKR_DEVICE_MEMORY",
  "CKR_USER_NOT_LOGGED_IN",
  "CKR_CRYPTOKI_NOT_INITIALIZED",
]);

interface Connection {
  readonly epoch: number;
  readonly slot: Handle;
  readonly idle: Handle[];
  readonly objects: Map<string, Handle>;
  stale: boolean;
}

type Waiter = { resolve: (session: Handle) => void; reject: (error: Error) => void };

/**
 * One token of an HSM, logged in, with a pool of sessions: each operation takes an idle session
 * (or waits in line for one), so concurrent signatures never share a session. A device failure
 * drops the pool and re-initialises the library; the next call after `retryIntervalMs`
 * reconnects, so the HSM coming back needs no restart.
 */
export class Pkcs11Token {
  private connection: Connection | undefined;
  private readonly waiters: Waiter[] = [];
  private lastFailure: { at: number; error: Error } | undefined;
  /** A refused PIN is never tried again by itself: retrying could lock the token. */
  private pinRefused: InputError | undefined;

  private constructor(
    private readonly module: Pkcs11Module,
    private readonly options: Pkcs11TokenOptions,
  ) {}

  /** Loads the module, finds the token and logs in (so a wrong PIN or label is reported at once). */
  static async open(options: Pkcs11TokenOptions): Promise<Pkcs11Token> {
    const token = new Pkcs11Token(Pkcs11Module.open(options.module), options);
    try {
      await token.withSession(async () => undefined);
    } catch (error) {
      token.close();
      throw error;
    }
    return token;
  }

  get label(): string {
    return this.options.slotLabel;
  }

  /** Runs `operation` on a session of its own; PKCS#11 failures come out as InputErrors naming them. */
  withSession<T>(operation: (lib: PKCS11, session: Handle) => Promise<T>): Promise<T> {
    return this.module.run(async () => {
      const connection = this.connect();
      const session = await this.acquire(connection);
      try {
        return await operation(this.module.lib, session);
      } catch (error) {
        throw this.failure(error, connection);
      } finally {
        this.release(connection, session);
      }
    });
  }

  /** The handle of the object of `objectClass` labelled `label`, looked up once per connection. */
  findObject(lib: PKCS11, session: Handle, objectClass: number, label: string): Handle | undefined {
    const connection = this.connection;
    const cacheKey = `${objectClass}:${label}`;
    const cached = connection?.objects.get(cacheKey);
    if (cached) return cached;
    lib.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: objectClass },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    let found: Handle[];
    try {
      found = lib.C_FindObjects(session, 2);
    } finally {
      lib.C_FindObjectsFinal(session);
    }
    if (found.length > 1)
      throw new InputError(
        "hsm_duplicate_label",
        `the HSM token "${this.label}" holds more than one object labelled "${label}"`,
      );
    if (found[0]) connection?.objects.set(cacheKey, found[0]);
    return found[0];
  }

  forgetObject(objectClass: number, label: string): void {
    this.connection?.objects.delete(`${objectClass}:${label}`);
  }

  close(): void {
    this.rejectWaiters(hsmUnavailable(`the token "${this.label}" was closed`));
    const connection = this.connection;
    this.connection = undefined;
    if (connection && !connection.stale && connection.epoch === this.module.epoch) {
      try {
        this.module.lib.C_CloseAllSessions(connection.slot);
      } catch {
        // The library is finalised next anyway.
      }
    }
    this.module.close();
  }

  private connect(): Connection {
    if (this.pinRefused) throw this.pinRefused;
    const current = this.connection;
    if (current && !current.stale && current.epoch === this.module.epoch) return current;
    this.connection = undefined;
    const retryInterval = this.options.retryIntervalMs ?? 1000;
    if (this.lastFailure && Date.now() - this.lastFailure.at < retryInterval) throw this.lastFailure.error;
    const epoch = this.module.epoch;
    try {
      this.connection = this.openConnection(epoch);
      this.lastFailure = undefined;
      return this.connection;
    } catch (error) {
      const reported =
        error instanceof InputError
          ? error
          : hsmUnavailable(`token "${this.label}": ${(error as Error).message}`);
      if (reported.code === "hsm_unavailable") {
        this.lastFailure = { at: Date.now(), error: reported };
        this.module.reset(epoch);
      }
      throw reported;
    }
  }

  private openConnection(epoch: number): Connection {
    const lib = this.module.lib;
    this.module.ensureInitialized();
    const slot = lib
      .C_GetSlotList(true)
      .find((candidate) => lib.C_GetTokenInfo(candidate).label.trim() === this.label);
    if (slot === undefined)
      throw hsmUnavailable(`no token labelled "${this.label}" in ${this.options.module}`);
    const count = Math.max(1, this.options.sessions ?? 8);
    const sessions = Array.from({ length: count }, () =>
      lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION),
    );
    try {
      lib.C_Login(sessions[0]!, pkcs11js.CKU_USER, this.options.pin);
    } catch (error) {
      const name = pkcs11ErrorName(error);
      if (name !== "CKR_USER_ALREADY_LOGGED_IN") {
        lib.C_CloseAllSessions(slot);
        if (name && PKCS11_PIN_REFUSED.has(name)) {
          this.pinRefused = new InputError(
            "hsm_pin",
            `the HSM token "${this.label}" refused the PIN (${name}${this.triesLeft(lib, slot)}); it will not be tried again`,
          );
          throw this.pinRefused;
        }
        throw error;
      }
    }
    return { epoch, slot, idle: sessions, objects: new Map(), stale: false };
  }

  private triesLeft(lib: PKCS11, slot: Handle): string {
    const text = pinStateText(pinStateOf(lib.C_GetTokenInfo(slot).flags));
    return text ? `, ${text}` : "";
  }

  private acquire(connection: Connection): Promise<Handle> {
    const session = connection.idle.pop();
    if (session !== undefined) return Promise.resolve(session);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(connection: Connection, session: Handle): void {
    if (connection.stale) return;
    const next = this.waiters.shift();
    if (next) next.resolve(session);
    else connection.idle.push(session);
  }

  private failure(error: unknown, connection: Connection): Error {
    const name = pkcs11ErrorName(error);
    if (!name || !DEVICE_FAILURES.has(name))
      return name
        ? new InputError("hsm_error", `the HSM token "${this.label}" answered ${name}`)
        : (error as Error);
    const reported = hsmUnavailable(`token "${this.label}" answered ${name}; reconnecting`);
    if (!connection.stale) {
      connection.stale = true;
      this.lastFailure = { at: Date.now(), error: reported };
      this.rejectWaiters(reported);
      this.module.reset(connection.epoch);
    }
    return reported;
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
