// The agent's thin layer over one vendor PKCS#11 library: every call goes through one queue (a
// person's token sees a few operations a minute; C_Finalize must never run under a signature), and
// each listing re-initialises the library, because many modules (SoftHSM2 among them) fix their
// slot list at C_Initialize: that is how a token plugged in or pulled out is noticed without a
// restart. No session outlives an operation: a session is opened, logged in, used and closed.
import pkcs11js, { type Handle, type PKCS11 } from "pkcs11js";
import {
  InputError,
  pinStateOf,
  pkcs11ErrorName,
  PKCS11_DEVICE_GONE,
  PKCS11_PIN_REFUSED,
  type PinState,
} from "@qoltanba/pki";

/** A token present in a slot, as CK_TOKEN_INFO describes it (fields trimmed). */
export interface TokenSlot {
  readonly library: string;
  readonly label: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly serial: string;
  readonly pinState: PinState;
}

/** The token refused the PIN; `state` is what it says about the tries left. */
export class PinRefusedError extends InputError {
  constructor(
    readonly reason: string,
    readonly state: PinState,
    message: string,
  ) {
    super("wrong_pin", message);
  }
}

export const tokenGone = (label: string, detail: string) =>
  new InputError(
    "token_removed",
    `the token "${label}" was removed or stopped answering (${detail}); plug it in and try again`,
  );

export class Pkcs11Library {
  private readonly lib = new pkcs11js.PKCS11();
  private initialized = false;
  /** Set after a device failure: the next call re-initialises before trusting any handle. */
  private stale = false;
  private queue: Promise<unknown> = Promise.resolve();

  /** Throws when the file is missing or is not a PKCS#11 library. */
  constructor(readonly path: string) {
    try {
      this.lib.load(path);
    } catch (error) {
      throw new InputError(
        "token_library",
        `cannot load the PKCS#11 library ${path}: ${(error as Error).message}`,
      );
    }
  }

  /** The tokens present now, after re-initialising the library. */
  tokens(): Promise<TokenSlot[]> {
    return this.exclusive(() => {
      this.reinitialize();
      return this.presentSlots().map(({ info }) => info);
    });
  }

  /**
   * Runs `operation` in a fresh read-write session on the token, logged in with `pin` when one is
   * given. A refused PIN is a PinRefusedError and is never retried here.
   */
  withSession<T>(
    token: Pick<TokenSlot, "serial" | "label">,
    pin: string | undefined,
    operation: (lib: PKCS11, session: Handle) => Promise<T> | T,
  ): Promise<T> {
    return this.exclusive(async () => {
      if (this.stale || !this.initialized) this.reinitialize();
      let slots: Array<{ slot: Handle; info: TokenSlot }>;
      try {
        slots = this.presentSlots();
      } catch (error) {
        this.stale = true;
        throw tokenGone(token.label, pkcs11ErrorName(error) ?? (error as Error).message);
      }
      const found = slots.find(({ info }) => info.serial === token.serial && info.label === token.label);
      if (!found) throw new InputError("token_not_present", `the token "${token.label}" is not connected`);
      let session: Handle | undefined;
      try {
        session = this.lib.C_OpenSession(found.slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
        if (pin !== undefined) this.login(session, found.slot, token.label, pin);
        return await operation(this.lib, session);
      } catch (error) {
        const name = pkcs11ErrorName(error);
        if (name && PKCS11_DEVICE_GONE.has(name)) {
          this.stale = true;
          throw tokenGone(token.label, name);
        }
        if (name) throw new InputError("token_error", `the token "${token.label}" answered ${name}`);
        throw error;
      } finally {
        if (session !== undefined) {
          try {
            this.lib.C_CloseSession(session);
          } catch {
            // A token pulled out has no session left to close.
          }
        }
      }
    });
  }

  close(): Promise<void> {
    return this.exclusive(() => {
      this.finalize();
      this.lib.close();
    });
  }

  private login(session: Handle, slot: Handle, label: string, pin: string): void {
    try {
      this.lib.C_Login(session, pkcs11js.CKU_USER, pin);
    } catch (error) {
      const name = pkcs11ErrorName(error);
      if (name === "CKR_USER_ALREADY_LOGGED_IN") return;
      if (name && PKCS11_PIN_REFUSED.has(name)) {
        const state = name === "CKR_PIN_LOCKED" ? "locked" : pinStateOf(this.lib.C_GetTokenInfo(slot).flags);
        throw new PinRefusedError(name, state, `the token "${label}" refused the PIN (${name})`);
      }
      throw error;
    }
  }

  private presentSlots(): Array<{ slot: Handle; info: TokenSlot }> {
    return this.lib.C_GetSlotList(true).map((slot) => {
      const info = this.lib.C_GetTokenInfo(slot);
      return {
        slot,
        info: {
          library: this.path,
          label: info.label.trim(),
          manufacturer: info.manufacturerID.trim(),
          model: info.model.trim(),
          serial: info.serialNumber.trim(),
          pinState: pinStateOf(info.flags),
        },
      };
    });
  }

  private reinitialize(): void {
    this.finalize();
    try {
      this.lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (error) {
      if (pkcs11ErrorName(error) !== "CKR_CRYPTOKI_ALREADY_INITIALIZED")
        throw new InputError(
          "token_library",
          `${this.path}: C_Initialize failed (${(error as Error).message})`,
        );
    }
    this.initialized = true;
    this.stale = false;
  }

  private finalize(): void {
    if (!this.initialized) return;
    this.initialized = false;
    try {
      this.lib.C_Finalize();
    } catch {
      // A library whose device vanished may fail to finalise cleanly; initialising again is what matters.
    }
  }

  private exclusive<T>(operation: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
