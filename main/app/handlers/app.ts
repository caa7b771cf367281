import type { Handlers } from '../dispatcher.js';
import { redactUrl, resolveInDataDir } from '../config.js';
import type { Services } from '../services.js';

export function appHandlers(services: Services): Pick<Handlers, 'app.info' | 'app.health'> {
  const { config, dataDir } = services;
  return {
    'app.info': () => ({
      name: 'Cusp',
      version: services.version,
      dataDir,
      database:
        config.database.client === 'sqlite'
          ? { client: 'sqlite', location: resolveInDataDir(dataDir, config.database.filename) }
          : { client: 'postgres', location: redactUrl(config.database.url) },
      store: {
        backend: config.store.url.startsWith('s3:') ? 's3' : config.store.url.startsWith('azure:') ? 'azure' : 'file',
        location: config.store.url.startsWith('file:')
          ? resolveInDataDir(dataDir, config.store.url.replace(/^file:(\/\/)?/, ''))
          : redactUrl(config.store.url),
      },
      orthanc: config.orthanc ? { configured: true, url: redactUrl(config.orthanc.url) } : { configured: false },
      language: config.language,
    }),
    'app.health': () => services.health(),
  };
}
