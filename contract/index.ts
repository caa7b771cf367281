import type { z } from 'zod';
import { appMethods } from './methods/app.js';
import { authMethods } from './methods/auth.js';
import { annotationMethods } from './methods/annotations.js';
import { auditMethods } from './methods/audit.js';
import { imagingMethods } from './methods/imaging.js';
import { mountMethods } from './methods/mounts.js';
import { ingestMethods } from './methods/ingest.js';
import { patientMethods } from './methods/patients.js';
import { practiceMethods } from './methods/practice.js';
import { scheduleMethods } from './methods/schedule.js';
import { settingsMethods } from './methods/settings.js';
import { treatmentMethods } from './methods/treatment.js';
import { userMethods } from './methods/users.js';
import { consultMethods } from './methods/consult.js';
import { shareMethods } from './methods/share.js';
import { events } from './events.js';

export * from './errors.js';
export * from './access.js';
export * from './define.js';
export * from './methods/app.js';
export * from './common.js';
export * from './teeth.js';
export * from './methods/auth.js';
export * from './methods/annotations.js';
export * from './methods/audit.js';
export * from './methods/imaging.js';
export * from './methods/mounts.js';
export * from './methods/ingest.js';
export * from './methods/patients.js';
export * from './methods/practice.js';
export * from './methods/schedule.js';
export * from './methods/settings.js';
export * from './methods/treatment.js';
export * from './methods/users.js';
export * from './methods/consult.js';
export * from './methods/share.js';
export { events } from './events.js';

/**
 * Every method of the contract. Each domain keeps its methods in contract/methods/<domain>.ts;
 * this table is their union, and the dispatcher in main refuses anything not in it.
 */
export const methods = {
  ...appMethods,
  ...authMethods,
  ...practiceMethods,
  ...patientMethods,
  ...scheduleMethods,
  ...settingsMethods,
  ...treatmentMethods,
  ...imagingMethods,
  ...mountMethods,
  ...ingestMethods,
  ...annotationMethods,
  ...auditMethods,
  ...userMethods,
  ...consultMethods,
  ...shareMethods,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
/** What the caller passes (before defaults are applied). */
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
/** What the handler receives (after parsing). */
export type ParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}
