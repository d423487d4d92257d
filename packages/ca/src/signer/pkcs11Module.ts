import pkcs11js from "pkcs11js";
import { InputError, pkcs11ErrorName } from "@qoltanba/pki";

export const hsmUnavailable = (detail: string) =>
  new InputError("hsm_unavailable", `the HSM is not available: ${detail}`);

/**
 * One loaded PKCS#11 library, shared by every token opened on it in this process: C_Initialize and
 * C_Finalize act on the whole library, so a re-initialisation after a device failure is
 * coordinated here, once no call into the library is running.
 */
export class Pkcs11Module {
  private static readonly loaded = new Map<string, Pkcs11Module>();

  readonly lib = new pkcs11js.PKCS11();
  /** Bumped by every re-initialisation: sessions and object handles of an older epoch are dead. */
  epoch = 0;
  private users = 0;
  private inFlight = 0;
  private resetting = false;
  private initialized = false;

  static open(path: string): Pkcs11Module {
    let module = Pkcs11Module.loaded.get(path);
    if (!module) {
      module = new Pkcs11Module(path);
      Pkcs11Module.loaded.set(path, module);
    }
    module.users++;
    return module;
  }

  private constructor(readonly path: string) {
    try {
      this.lib.load(path);
    } catch (error) {
      throw new InputError(
        "hsm_module",
        `cannot load the PKCS#11 module ${path}: ${(error as Error).message}`,
      );
    }
  }

  /** C_Initialize if needed (at first use, or when a re-initialisation could not initialise). */
  ensureInitialized(): void {
    if (this.initialized) return;
    try {
      // Signatures run on libuv's worker threads: without CKF_OS_LOCKING_OK the library may assume one thread.
      this.lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (error) {
      if (pkcs11ErrorName(error) !== "CKR_CRYPTOKI_ALREADY_INITIALIZED")
        throw hsmUnavailable(`${this.path}: C_Initialize failed (${(error as Error).message})`);
    }
    this.initialized = true;
  }

  /** Runs calls into the library; refused while the library is being re-initialised. */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.resetting) throw hsmUnavailable(`${this.path} is being re-initialised after a device failure`);
    this.inFlight++;
    try {
      return await operation();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.resetting) this.reinitialize();
    }
  }

  /**
   * After a device failure seen in `epoch`: C_Finalize and C_Initialize once the running calls have
   * ended, so that the next connection sees the device as it is now (SoftHSM2, like many modules,
   * keeps reporting a vanished token's handles as invalid until re-initialised).
   */
  reset(epoch: number): void {
    if (epoch !== this.epoch || this.resetting) return;
    this.resetting = true;
    if (this.inFlight === 0) this.reinitialize();
  }

  private reinitialize(): void {
    if (this.initialized) {
      try {
        this.lib.C_Finalize();
      } catch {
        // A library whose device vanished may fail to finalise cleanly; initialising again is what matters.
      }
    }
    this.initialized = false;
    this.epoch++;
    this.resetting = false;
  }

  close(): void {
    if (--this.users > 0) return;
    Pkcs11Module.loaded.delete(this.path);
    if (this.initialized) {
      try {
        this.lib.C_Finalize();
      } catch {
        // Closing anyway: the process is done with this library.
      }
    }
    this.lib.close();
  }
}
