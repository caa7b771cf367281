import { z } from 'zod';

/** Clinic roles. A user has exactly one. */
export const roles = ['dentist', 'hygienist', 'assistant', 'frontdesk', 'admin'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/**
 * What a method needs from the caller. Checked in main by the dispatcher before the handler runs;
 * the renderer uses the same table only to hide what a role cannot use.
 * - `public`: anyone on this workstation, signed in or not (app info, health, sign-in itself).
 * - `signedIn`: any signed-in user.
 * - a capability: the signed-in user's role must grant it.
 */
export const capabilities = [
  'demographics', // patient identity and contact, search
  'schedule', // appointments
  'clinical', // treatment plans, diagnostic tools, annotations, imaging inbox
  'imaging.view', // thumbnails and images (front desk sees thumbnails for pre-appointment review)
  'admin', // users, stores, policies, settings
] as const;
export type Capability = (typeof capabilities)[number];
export type Access = 'public' | 'signedIn' | Capability;

export const roleCapabilities: Record<Role, readonly Capability[]> = {
  dentist: ['demographics', 'schedule', 'clinical', 'imaging.view'],
  hygienist: ['demographics', 'schedule', 'clinical', 'imaging.view'],
  assistant: ['demographics', 'schedule', 'clinical', 'imaging.view'],
  frontdesk: ['demographics', 'schedule', 'imaging.view'],
  admin: ['demographics', 'schedule', 'clinical', 'imaging.view', 'admin'],
};

export function roleGrants(role: Role, access: Access): boolean {
  if (access === 'public' || access === 'signedIn') return true;
  return roleCapabilities[role].includes(access);
}
