/** Transfer syntaxes the pipeline decodes, with the codec family that handles each. */
export type Codec = 'native' | 'deflate' | 'bigEndian' | 'rle' | 'jpegBaseline' | 'jpegExtended' | 'jpegLossless' | 'jpegLs' | 'j2k' | 'htj2k';

export interface TransferSyntax {
  uid: string;
  name: string;
  codec: Codec;
  /** Pixel data is encapsulated (fragments) rather than native. */
  encapsulated: boolean;
  /** The stored pixels may differ from the acquired ones. */
  lossy: boolean;
  explicitVr: boolean;
}

const entries: TransferSyntax[] = [
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', codec: 'native', encapsulated: false, lossy: false, explicitVr: false },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', codec: 'native', encapsulated: false, lossy: false, explicitVr: true },
  { uid: '1.2.840.10008.1.2.1.99', name: 'Deflated Explicit VR Little Endian', codec: 'deflate', encapsulated: false, lossy: false, explicitVr: true },
  { uid: '1.2.840.10008.1.2.2', name: 'Explicit VR Big Endian', codec: 'bigEndian', encapsulated: false, lossy: false, explicitVr: true },
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', codec: 'rle', encapsulated: true, lossy: false, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (Process 1)', codec: 'jpegBaseline', encapsulated: true, lossy: true, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (Process 2 & 4)', codec: 'jpegExtended', encapsulated: true, lossy: true, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless (Process 14)', codec: 'jpegLossless', encapsulated: true, lossy: false, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless SV1 (Process 14, selection value 1)', codec: 'jpegLossless', encapsulated: true, lossy: false, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless', codec: 'jpegLs', encapsulated: true, lossy: false, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Near-Lossless', codec: 'jpegLs', encapsulated: true, lossy: true, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 Lossless', codec: 'j2k', encapsulated: true, lossy: false, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000', codec: 'j2k', encapsulated: true, lossy: true, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.201', name: 'HTJ2K Lossless', codec: 'htj2k', encapsulated: true, lossy: false, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.202', name: 'HTJ2K Lossless RPCL', codec: 'htj2k', encapsulated: true, lossy: false, explicitVr: true },
  { uid: '1.2.840.10008.1.2.4.203', name: 'HTJ2K', codec: 'htj2k', encapsulated: true, lossy: true, explicitVr: true },
];

const byUid = new Map(entries.map((e) => [e.uid, e]));

export const transferSyntax = (uid: string): TransferSyntax | undefined => byUid.get(uid);

export const uids = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  jpegLsLossless: '1.2.840.10008.1.2.4.80',
  htj2kLossless: '1.2.840.10008.1.2.4.201',
} as const;
