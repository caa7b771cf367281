import { z } from 'zod';
import { idSchema } from '../common.js';
import { defineMethods } from '../define.js';
import { languageSchema } from './app.js';
import { providerSchema } from './schedule.js';

/** Practice settings an administrator changes from the Settings screen (each change audited). */
export const operatoryCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(80),
    /** DICOM AE titles of the sensors in the room: 1–16 characters, no backslash or control characters. */
    aeTitles: z.array(z.string().trim().regex(/^[ -[\]-~]{1,16}$/, 'must be an AE title of 1–16 characters')).max(10).default([]),
  })
  .strict();

export const providerCreateSchema = z
  .object({
    displayName: z.string().trim().min(1).max(120),
    kind: providerSchema.shape.kind,
    color: z.string().regex(/^#[0-9a-f]{6}$/i, 'must be a colour like #2f7ed8').nullable().default(null),
    userId: idSchema.nullable().default(null),
  })
  .strict();


/* ---- Administrator settings: Orthanc, image store, language, compression (issues #6 and #8) ---- */

export const orthancSettingsSchema = z.object({
  configured: z.boolean(),
  url: z.string().nullable(),
  username: z.string().nullable(),
  /** Whether a password is saved in the secret store (its value never leaves main). */
  passwordSaved: z.boolean(),
  /** CUSP_ORTHANC_PASSWORD is set for this process and wins over the saved password. */
  passwordFromEnvironment: z.boolean(),
  /** This process follows Orthanc and ingests (config `orthanc.ingest`). */
  ingest: z.boolean(),
});
export type OrthancSettings = z.infer<typeof orthancSettingsSchema>;

export const orthancConnectionSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// address' }).max(500),
    username: z.string().trim().max(100).default(''),
    /** Empty: keep (or, to test, use) the saved password. */
    password: z.string().max(200).default(''),
  })
  .strict();

export const orthancTestResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), name: z.string(), version: z.string(), aet: z.string() }),
  z.object({
    ok: z.literal(false),
    /** unreachable: nothing answers; auth: 401/403; notOrthanc: something answered, not Orthanc's /system; http: another HTTP error. */
    problem: z.enum(['unreachable', 'auth', 'notOrthanc', 'http']),
    message: z.string(),
  }),
]);
export type OrthancTestResult = z.infer<typeof orthancTestResultSchema>;

export const residencySchema = z.enum(['canada', 'any']);

const segment = z.string().trim().max(200);
/** A new image store as the form describes it; secrets go to the secret store, never config.json. */
export const storeFormSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('file'), folder: z.string().trim().min(1, 'required').max(1000) }).strict(),
  z
    .object({
      kind: z.literal('s3'),
      /** Empty for AWS; https://… for S3-compatible providers (path-style addressing). */
      endpoint: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
      region: z.string().trim().regex(/^[a-z0-9-]{2,40}$/, 'must be a region name like ca-central-1'),
      bucket: z.string().trim().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name (3–63 lower-case letters, digits, dots, dashes)'),
      prefix: segment.regex(/^[A-Za-z0-9._=/-]*$/, 'letters, digits and . _ = - / only').default(''),
      accessKeyId: z.string().trim().max(200).default(''),
      secretAccessKey: z.string().max(500).default(''),
      /** The clinic declares that this custom endpoint keeps data in Canada. */
      inCanada: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      kind: z.literal('azure'),
      account: z.string().trim().regex(/^[a-z0-9]{3,24}$/, 'must be a storage account name (3–24 lower-case letters or digits)'),
      container: z.string().trim().regex(/^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$/, 'must be a container name'),
      prefix: segment.regex(/^[A-Za-z0-9._=/-]*$/, 'letters, digits and . _ = - / only').default(''),
      region: z.string().trim().regex(/^[a-z0-9-]{2,40}$/).default('canadacentral'),
      /** Empty for Azure itself; e.g. http://127.0.0.1:10000/account for Azurite. */
      endpoint: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
      accountKey: z.string().max(500).default(''),
      inCanada: z.boolean().default(false),
    })
    .strict(),
]);
export type StoreForm = z.input<typeof storeFormSchema>;

export const migrationStatusSchema = z.object({
  /** idle: none; running; interrupted: stopped by a restart (resume); failed: some objects did not copy; done: switched. */
  state: z.enum(['idle', 'running', 'interrupted', 'failed', 'done']),
  /** The destination, without credentials. */
  to: z.string().nullable(),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  bytes: z.number().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** A few failures (object keys are opaque ids, never names) or why the run stopped. */
  errors: z.array(z.string()),
});
export type MigrationStatus = z.infer<typeof migrationStatusSchema>;

export const storageSettingsSchema = z.object({
  kind: z.enum(['file', 's3', 'azure']),
  /** Where, without credentials. */
  location: z.string(),
  region: z.string(),
  inCanada: z.boolean(),
  encrypted: z.boolean(),
  residency: residencySchema,
  cache: z.object({ maxBytes: z.number().nonnegative(), usedBytes: z.number().nonnegative() }),
  /** Objects written on this computer and waiting for the store. */
  outbox: z.number().int().nonnegative(),
  /** Local hour at which `cusp agent` tiers the store and caches tomorrow's images (config.json `nightly.hour`). */
  nightlyHour: z.number().int().min(0).max(23),
  health: z.object({ state: z.enum(['ok', 'unconfigured', 'unavailable']), message: z.string().optional() }),
  migration: migrationStatusSchema,
});
export type StorageSettings = z.infer<typeof storageSettingsSchema>;

export const storeTestResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), location: z.string(), inCanada: z.boolean(), encrypted: z.boolean() }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);
export type StoreTestResult = z.infer<typeof storeTestResultSchema>;

/** Validated presets (main/imaging/presets.ts) the practice can start from. */
export const compressionPresetNames = ['default', 'webp', 'keep-original', 'htj2k'] as const;
export const compressionSchema = z
  .object({
    preset: z.enum(compressionPresetNames),
    /** The full-resolution view; null keeps the preset's. Quality 60–100 (SSIM ≥ 0.97 is still enforced). AVIF is slow (5–40 s per radiograph). */
    view: z.object({ format: z.enum(['jpeg', 'webp', 'avif']), quality: z.number().int().min(60).max(100) }).strict().nullable().default(null),
  })
  .strict();
export type Compression = z.output<typeof compressionSchema>;

export const languageSettingsSchema = z.object({
  practiceDefault: languageSchema,
  /** The signed-in user's own choice, or null to follow the practice default. */
  user: languageSchema.nullable(),
  /** What this user's UI should use. */
  effective: languageSchema,
});
export type LanguageSettings = z.infer<typeof languageSettingsSchema>;

const none = z.object({}).strict();
const ok = z.object({ ok: z.literal(true) });

const adminSettingsMethods = defineMethods({
  'settings.orthanc': { input: none, output: orthancSettingsSchema, access: 'admin' },
  /** Calls Orthanc's /system with these settings (the saved password when none is typed). Never throws for a failed connection: says why. */
  'settings.testOrthanc': { input: orthancConnectionSchema, output: orthancTestResultSchema, access: 'admin' },
  /** Saves URL and user name to config.json, the password to the secret store; the running app uses them at once. */
  'settings.saveOrthanc': { input: orthancConnectionSchema, output: orthancSettingsSchema, access: 'admin' },
  'settings.storage': { input: none, output: storageSettingsSchema, access: 'admin' },
  /** Writes, reads back and deletes a probe object in the described store (after the residency check). */
  'settings.testStore': { input: storeFormSchema, output: storeTestResultSchema, access: 'admin' },
  /** Starts copying every object to the described store in the background (or resumes an interrupted run to it). CONFLICT while one runs. */
  'settings.migrateStore': { input: storeFormSchema, output: migrationStatusSchema, access: 'admin' },
  /** Resumes the interrupted (or failed) migration to the store it was going to. NOT_FOUND when there is none. */
  'settings.resumeMigration': { input: none, output: migrationStatusSchema, access: 'admin' },
  'settings.migration': { input: none, output: migrationStatusSchema, access: 'admin' },
  'settings.saveStoragePolicy': {
    input: z.object({ residency: residencySchema, cacheMaxBytes: z.number().int().min(256e6).max(2e12), nightlyHour: z.number().int().min(0).max(23).optional() }).strict(),
    output: ok,
    access: 'admin',
  },
  'settings.language': { input: none, output: languageSettingsSchema, access: 'signedIn' },
  /** The practice default (admin). */
  'settings.setPracticeLanguage': { input: z.object({ language: languageSchema }).strict(), output: languageSettingsSchema, access: 'admin' },
  /** The signed-in user's own language (null: follow the practice default). */
  'settings.setUserLanguage': {
    input: z.object({ language: languageSchema.nullable() }).strict(),
    output: languageSettingsSchema,
    access: 'signedIn',
  },
  'settings.compression': { input: none, output: compressionSchema, access: 'admin' },
  'settings.setCompression': { input: compressionSchema, output: compressionSchema, access: 'admin' },
});

export const settingsMethods = defineMethods({
  /** CONFLICT when the practice already has a chair of that name. */
  'settings.createOperatory': { input: operatoryCreateSchema, output: z.object({ id: idSchema }), access: 'admin' },
  'settings.createProvider': { input: providerCreateSchema, output: z.object({ id: idSchema }), access: 'admin' },
  ...adminSettingsMethods,
});
