import { pino, type Logger } from 'pino';

/**
 * JSON-lines logging for main. Log identifiers (patient id, image uuid, job id), never names,
 * birth dates or free text from DICOM headers. The redact list is a safety net, not the rule.
 */
export type { Logger };

export const phiKeys = [
  'name', 'firstName', 'lastName', 'patientName', 'PatientName', 'birthDate', 'PatientBirthDate',
  'dateOfBirth', 'phone', 'email', 'address', 'password', 'secret', 'token', 'accessKey', 'accountKey',
];

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.CUSP_LOG_LEVEL ?? 'info';
  return pino(
    {
      base: { app: 'cusp' },
      level,
      redact: { paths: [...phiKeys, ...phiKeys.map((k) => `*.${k}`)], censor: '[redacted]' },
    },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}

/** A logger that drops everything, for unit tests that do not look at logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
