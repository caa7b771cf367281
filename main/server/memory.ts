import type { Transport } from '../../contract/client.js';
import type { CallContext } from '../app/context.js';
import type { Dispatch } from '../app/dispatcher.js';
import type { EventBus } from '../app/events.js';

/**
 * The in-memory transport: same dispatcher, no wire. JSON round-trips both ways so a test
 * catches anything that would not survive IPC or HTTP (dates, Maps, undefined in arrays).
 */
export function createMemoryTransport(dispatch: Dispatch, events: EventBus, context: () => CallContext): Transport {
  const roundTrip = (value: unknown) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
  return {
    async invoke(method, input) {
      return roundTrip(await dispatch(method, roundTrip(input), context()));
    },
    subscribe(listener) {
      return events.subscribe((name, payload) => listener(name, roundTrip(payload)));
    },
  };
}
