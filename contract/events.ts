import { defineEvents } from './define.js';
import { healthSchema } from './methods/app.js';
import { authChangedSchema } from './methods/auth.js';

/** Events main pushes to every renderer. Later issues add theirs here. */
export const events = defineEvents({
  /** Sent when any part of the health changes, and at least every 30 s. */
  'app.health': healthSchema,
  /** A session of a workstation signed in, locked or signed out (the consultation display blanks on lock). */
  'auth.changed': authChangedSchema,
});
