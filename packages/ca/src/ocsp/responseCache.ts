/**
 * Pre-signed OCSP responses for a server that holds hundreds of thousands of them: bounded to
 * `capacity` entries, built so the garbage collector hardly sees them and a hit writes nothing
 * into the heap (each costs about a tenth of a per-entry object graph's memory and pause time).
 *
 * - The bytes live in fixed-size slots of large slabs, not in a Buffer each; an entry is a key
 *   string in one Map and numbers in typed arrays.
 * - Eviction is CLOCK (second chance), an approximation of least recently used whose hits only set
 *   a bit: moving a Map entry on every hit would store a fresh key string into the old generation
 *   each time and leave tombstones that make the Map rehash all its entries now and then.
 * - A slot is reused in place, so `get` copies the bytes out: a response still queued on a slow
 *   socket must not change under it.
 */
export interface CachedResponse {
  /** The response's own bytes (a copy: the caller may keep it). */
  readonly head: Buffer;
  /** Milliseconds since the epoch. */
  readonly thisUpdate: number;
}

const SLOTS_PER_SLAB = 4096;
/** Room over the first response's length for the others: SHA-256 CertIDs, revocation times and reasons, longer serials (SHA-384/512 ones get a Buffer of their own). */
const SLOT_SLACK_BYTES = 64;

export class ResponseCache {
  private readonly slots = new Map<string, number>();
  private readonly keys: Array<string | undefined>;
  private readonly lengths: Uint16Array;
  private readonly thisUpdates: Float64Array;
  private readonly referenced: Uint8Array;
  private readonly slabs: Buffer[] = [];
  /** Responses longer than a slot (a much larger signature than the first response's) keep their own Buffer. */
  private readonly oversize = new Map<number, Buffer>();
  private slotBytes = 0;
  private used = 0;
  private hand = 0;
  private readonly free: number[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
    this.keys = new Array<string | undefined>(capacity);
    this.lengths = new Uint16Array(capacity);
    this.thisUpdates = new Float64Array(capacity);
    this.referenced = new Uint8Array(capacity);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The response, now marked as used. */
  get(key: string): CachedResponse | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.referenced[slot] = 1;
    return this.read(slot);
  }

  /** The response without marking it used. */
  peek(key: string): CachedResponse | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.read(slot);
  }

  /** When the response was made, without copying it; undefined when absent. */
  thisUpdateOf(key: string): number | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.thisUpdates[slot];
  }

  set(key: string, head: Buffer, thisUpdate: number): void {
    if (head.length > 0xffff) throw new RangeError("an OCSP response over 64 KiB does not belong in the cache");
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.free.pop() ?? (this.used < this.capacity ? this.used++ : this.evict());
      this.slots.set(key, slot);
      this.keys[slot] = key;
    }
    if (this.slotBytes === 0) this.slotBytes = Math.ceil((head.length + SLOT_SLACK_BYTES) / 16) * 16;
    this.oversize.delete(slot);
    if (head.length > this.slotBytes) this.oversize.set(slot, Buffer.from(head));
    else head.copy(this.slabFor(slot), (slot % SLOTS_PER_SLAB) * this.slotBytes);
    this.lengths[slot] = head.length;
    this.thisUpdates[slot] = thisUpdate;
    this.referenced[slot] = 0;
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    this.keys[slot] = undefined;
    this.oversize.delete(slot);
    this.free.push(slot);
    return true;
  }

  private read(slot: number): CachedResponse {
    const own = this.oversize.get(slot);
    const length = this.lengths[slot]!;
    const head = Buffer.allocUnsafe(length);
    if (own) own.copy(head);
    else {
      const start = (slot % SLOTS_PER_SLAB) * this.slotBytes;
      this.slabs[Math.floor(slot / SLOTS_PER_SLAB)]!.copy(head, 0, start, start + length);
    }
    return { head, thisUpdate: this.thisUpdates[slot]! };
  }

  /** Slabs are made as slots are first used, so a small cache stays small. */
  private slabFor(slot: number): Buffer {
    const index = Math.floor(slot / SLOTS_PER_SLAB);
    while (this.slabs.length <= index) this.slabs.push(Buffer.allocUnsafeSlow(SLOTS_PER_SLAB * this.slotBytes));
    return this.slabs[index]!;
  }

  /** CLOCK: the hand clears used marks until it finds a slot not used since it last passed. */
  private evict(): number {
    for (;;) {
      const slot = this.hand;
      this.hand = (this.hand + 1) % this.capacity;
      if (this.referenced[slot]) {
        this.referenced[slot] = 0;
        continue;
      }
      const key = this.keys[slot];
      if (key === undefined) continue; // freed: it is on the free list, which is empty now
      this.slots.delete(key);
      this.keys[slot] = undefined;
      this.oversize.delete(slot);
      return slot;
    }
  }
}
