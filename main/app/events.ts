import { events, type EventName, type EventPayload } from '../../contract/index.js';

export type EventListener = (name: EventName, payload: unknown) => void;

/**
 * Main's side of the contract's events. Every transport subscribes once and forwards;
 * payloads are checked against the contract here, so a bug shows up in main, not in a window.
 */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    const checked = events[name].parse(payload);
    for (const listener of this.listeners) listener(name, checked);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
