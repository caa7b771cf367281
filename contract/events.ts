import { defineEvents } from './define.js';
import { healthSchema } from './methods/app.js';
import { authChangedSchema } from './methods/auth.js';
import { imageNewEventSchema, ingestQueueEventSchema } from './methods/ingest.js';
import { consultChangedSchema } from './methods/consult.js';

/** Events main pushes to every renderer. Later issues add theirs here. */
export const events = defineEvents({
  /** Sent when any part of the health changes, and at least every 30 s. */
  'app.health': healthSchema,
  /** A session of a workstation signed in, locked or signed out (the consultation display blanks on lock). */
  'auth.changed': authChangedSchema,
  /** Ingest queue counts changed. */
  'ingest.queue': ingestQueueEventSchema,
  /** A new image was filed under a patient: an open chart adds it without reloading. */
  'image.new': imageNewEventSchema,
  /** What one consultation display shows changed: that display (and only it) reads it again. */
  'consult.changed': consultChangedSchema,
});
