import { AppError } from '../app/errors.js';

/**
 * Why an image was refused. Stable: `cusp derive --json` prints it and ingest stores it on the
 * failed job, so a person can tell a truncated transfer from a codec the app does not have.
 */
export const imagingErrorReasons = [
  'NOT_DICOM', // neither a DICOM Part 10 file, a File-Meta-less (ACR-NEMA style) data set, nor a JPEG/PNG
  'TRUNCATED', // the file ends before an element, fragment or the pixel data it declares
  'MISSING_TRANSFER_SYNTAX', // File Meta present but (0002,0010) absent
  'MISSING_PIXEL_DATA', // no (7FE0,0010), or a required image attribute (rows, columns, bits) is absent
  'INVALID_ATTRIBUTE', // an image attribute is out of range or inconsistent (rows 0, frames "1A", bits stored > allocated)
  'PIXEL_LENGTH_MISMATCH', // native pixel data shorter than rows × columns × samples × frames
  'TOO_LARGE', // the decoded image would exceed the memory cap
  'UNSUPPORTED_SYNTAX', // a transfer syntax this build cannot decode
  'UNSUPPORTED_PIXEL_FORMAT', // e.g. 1-bit or 32-bit pixels, a photometric interpretation the pipeline has no path for
  'SYNTAX_MISMATCH', // the pixel data is not what the transfer syntax says (native data labelled RLE, JPEG-LS labelled J2K)
  'CORRUPT_CODESTREAM', // the codec rejected the compressed frame, or it decoded to the wrong size
  'MASTER_NOT_BIT_EXACT', // a lossless re-encode did not decode back to the original pixels
  'INVALID_PRESET', // a derivative preset failed validation
] as const;
export type ImagingErrorReason = (typeof imagingErrorReasons)[number];

/** The error every imaging failure becomes: a reason code plus a message safe to show and log (no header text). */
export class ImagingError extends AppError {
  readonly reason: ImagingErrorReason;
  constructor(reason: ImagingErrorReason, message: string, options?: { cause?: unknown }) {
    super('INVALID_INPUT', message, options);
    this.name = 'ImagingError';
    this.reason = reason;
  }
}

export const imagingError = (reason: ImagingErrorReason, message: string, cause?: unknown) =>
  new ImagingError(reason, message, cause === undefined ? undefined : { cause });
