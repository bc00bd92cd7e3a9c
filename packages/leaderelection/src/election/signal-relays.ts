import { AbortRelay } from './abort-relay.js';

/** One {@link AbortRelay} per signal an elector's waits listen to, for the elector's run. */
export class SignalRelays implements Disposable {
  private readonly relays = new Map<AbortSignal, AbortRelay>();

  /** The relay of `signal` (made at first use). */
  of(signal: AbortSignal): AbortRelay {
    let relay = this.relays.get(signal);
    if (relay === undefined) {
      relay = new AbortRelay(signal);
      this.relays.set(signal, relay);
    }
    return relay;
  }

  /** Removes every relay's listener from its signal. */
  [Symbol.dispose](): void {
    for (const relay of this.relays.values()) relay[Symbol.dispose]();
    this.relays.clear();
  }
}
