import type { Language } from '../../../contract/index.js';
import { deleteSetting, readSetting, userLanguageSetting, writeSetting } from '../../db/repositories/practice-settings.js';
import { createOperatory, createProvider } from '../../db/repositories/schedule.js';
import { isInCanada, parseStoreUrl } from '../../storage/open.js';
import { compressionSetting, presetFor, readCompression } from '../compression.js';
import { loadConfig, saveConfig } from '../config.js';
import type { CallContext } from '../context.js';
import type { Handlers } from '../dispatcher.js';
import { AppError } from '../errors.js';
import { orthancPasswordSecret, testOrthanc } from '../orthanc-connection.js';
import type { Services } from '../services.js';
import { describeStore, safeLocation, StoreMigrations, testStore } from '../store-settings.js';
import { audit, userOf } from './audit-support.js';

type SettingsHandlers = Pick<
  Handlers,
  | 'settings.createOperatory' | 'settings.createProvider'
  | 'settings.orthanc' | 'settings.testOrthanc' | 'settings.saveOrthanc'
  | 'settings.storage' | 'settings.testStore' | 'settings.migrateStore' | 'settings.resumeMigration' | 'settings.migration' | 'settings.saveStoragePolicy'
  | 'settings.language' | 'settings.setPracticeLanguage' | 'settings.setUserLanguage'
  | 'settings.compression' | 'settings.setCompression'
>;

const practiceLanguageSetting = 'language';

/**
 * The practice set-up an administrator does: chairs and providers; Orthanc, the image store
 * (with migration), the practice language and the compression preset. Each change is audited
 * with who and what — never a password or key.
 */
export function settingsHandlers(services: Services): SettingsHandlers {
  const db = () => services.database();
  const migrations = new StoreMigrations(services, services.secrets);

  async function orthancSettings() {
    const orthanc = services.config.orthanc;
    return {
      configured: orthanc !== undefined,
      url: orthanc?.url ?? null,
      username: orthanc?.username ?? null,
      passwordSaved: (await services.secrets.get(orthancPasswordSecret)) !== undefined,
      passwordFromEnvironment: Boolean(process.env.CUSP_ORTHANC_PASSWORD),
      ingest: orthanc?.ingest ?? false,
    };
  }

  async function languages(ctx: CallContext) {
    const user = userOf(ctx);
    const practiceDefault = (await readSetting<Language>(db().knex, user.practiceId, practiceLanguageSetting)) ?? services.config.language;
    const own = (await readSetting<Language>(db().knex, user.practiceId, userLanguageSetting(user.id))) ?? null;
    return { practiceDefault, user: own, effective: own ?? practiceDefault };
  }

  /** Applies a change to config.json and to the running app's copy of it. */
  async function changeConfig(change: (config: Awaited<ReturnType<typeof loadConfig>>) => void) {
    const config = await loadConfig(services.dataDir);
    change(config);
    await saveConfig(services.dataDir, config);
    change(services.config);
  }

  return {
    'settings.createOperatory': async (input, ctx) => {
      const id = await createOperatory(db(), userOf(ctx).practiceId, input);
      await audit(services, ctx, 'operatory.create', { detail: { operatoryId: id } });
      return { id };
    },
    'settings.createProvider': async (input, ctx) => {
      const id = await createProvider(db(), userOf(ctx).practiceId, input);
      await audit(services, ctx, 'provider.create', { detail: { providerId: id, kind: input.kind } });
      return { id };
    },

    'settings.orthanc': () => orthancSettings(),
    'settings.testOrthanc': async ({ url, username, password }) => {
      const saved = sameOrigin(url, services.config.orthanc?.url) ? await services.secrets.get(orthancPasswordSecret) : undefined;
      const secret = password || saved;
      return testOrthanc({ url, ...(username ? { username } : {}), ...(secret ? { password: secret } : {}) });
    },
    'settings.saveOrthanc': async ({ url, username, password }, ctx) => {
      const hasSaved = (await services.secrets.get(orthancPasswordSecret)) !== undefined;
      if (!password && hasSaved && !sameOrigin(url, services.config.orthanc?.url)) {
        // The saved password is only ever sent to the Orthanc it was saved for.
        throw new AppError('INVALID_INPUT', 'password: type the password again for a new Orthanc address');
      }
      await changeConfig((config) => {
        config.orthanc = { ...config.orthanc, url, ...(username ? { username } : { username: undefined }) };
      });
      if (password) await services.secrets.set(orthancPasswordSecret, password);
      await audit(services, ctx, 'settings.orthanc', { detail: { url: new URL(url).origin, username: Boolean(username), passwordChanged: Boolean(password) } });
      return orthancSettings();
    },

    'settings.storage': async () => {
      const { config } = services;
      const storage = services.storage();
      const spec = parseStoreUrl(config.store.url, services.dataDir);
      const [health, outbox, usedBytes, migration] = await Promise.all([storage.health(), storage.pendingUploads(), storage.cache.size(), migrations.status()]);
      return {
        kind: spec.kind,
        location: safeLocation(config.store.url, services.dataDir),
        region: spec.region,
        inCanada: isInCanada(spec),
        encrypted: storage.backend.description.encrypted,
        residency: config.store.residency,
        cache: { maxBytes: config.cache.maxBytes, usedBytes },
        outbox,
        nightlyHour: config.nightly.hour,
        health,
        migration,
      };
    },
    'settings.testStore': async (form, ctx) => {
      const result = await testStore({ store: describeStore(form), dataDir: services.dataDir, secrets: services.secrets, residency: services.config.store.residency });
      await audit(services, ctx, 'settings.store.test', { detail: { kind: form.kind, ok: result.ok, ...(result.ok ? {} : { code: result.code }) } });
      return result;
    },
    'settings.migrateStore': async (form, ctx) => {
      const target = describeStore(form);
      const status = await migrations.start(target, userOf(ctx).id);
      await audit(services, ctx, 'settings.store.migrate', { detail: { kind: form.kind, to: status.to ?? '', credentialsSaved: Boolean(target.secret) } });
      return status;
    },
    'settings.resumeMigration': async (_input, ctx) => {
      const status = await migrations.resume(userOf(ctx).id);
      await audit(services, ctx, 'settings.store.migrate', { detail: { to: status.to ?? '', resumed: true } });
      return status;
    },
    'settings.migration': () => migrations.status(),
    'settings.saveStoragePolicy': async ({ residency, cacheMaxBytes, nightlyHour }, ctx) => {
      if (residency === 'canada' && !isInCanada(parseStoreUrl(services.config.store.url, services.dataDir))) {
        throw new AppError('INVALID_INPUT', 'The store in use is not in Canada: migrate to a Canadian store before choosing Canada only');
      }
      await changeConfig((config) => {
        config.store.residency = residency;
        config.cache.maxBytes = cacheMaxBytes;
        if (nightlyHour !== undefined) config.nightly.hour = nightlyHour;
      });
      await audit(services, ctx, 'settings.storage', { detail: { residency, cacheMaxBytes, ...(nightlyHour !== undefined ? { nightlyHour } : {}) } });
      return { ok: true as const };
    },

    'settings.language': (_input, ctx) => languages(ctx),
    'settings.setPracticeLanguage': async ({ language }, ctx) => {
      const user = userOf(ctx);
      const before = (await languages(ctx)).practiceDefault;
      await writeSetting(db().knex, user.practiceId, practiceLanguageSetting, language, user.id);
      await audit(services, ctx, 'settings.language.practice', { detail: { from: before, to: language } });
      return languages(ctx);
    },
    'settings.setUserLanguage': async ({ language }, ctx) => {
      const user = userOf(ctx);
      const before = (await languages(ctx)).user;
      if (language) await writeSetting(db().knex, user.practiceId, userLanguageSetting(user.id), language, user.id);
      else await deleteSetting(db().knex, user.practiceId, userLanguageSetting(user.id));
      await audit(services, ctx, 'settings.language.user', { detail: { userId: user.id, from: before, to: language } });
      return languages(ctx);
    },

    'settings.compression': (_input, ctx) => readCompression(db().knex, userOf(ctx).practiceId),
    'settings.setCompression': async (input, ctx) => {
      const user = userOf(ctx);
      try {
        presetFor(input);
      } catch (error) {
        throw new AppError('INVALID_INPUT', error instanceof Error ? error.message : String(error));
      }
      const before = await readCompression(db().knex, user.practiceId);
      await writeSetting(db().knex, user.practiceId, compressionSetting, input, user.id);
      await audit(services, ctx, 'settings.compression', {
        detail: { from: describeCompression(before), to: describeCompression(input) },
      });
      return readCompression(db().knex, user.practiceId);
    },
  };
}

const describeCompression = (c: { preset: string; view: { format: string; quality: number } | null }) =>
  c.view ? `${c.preset}+view:${c.view.format}/${c.view.quality}` : c.preset;

/** Whether two addresses are the same server (scheme, host and port); the saved password goes nowhere else. */
function sameOrigin(a: string, b: string | undefined): boolean {
  if (!b) return false;
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
