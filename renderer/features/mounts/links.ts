/** Links of the mounts and compare screens (the compare URL is shared with other screens: keep it stable). */

export const mountsHref = (patientId: string, mountId?: string) => `#/patients/${patientId}/mounts${mountId ? `/${mountId}` : ''}`;

/** #/patients/<patientId>/compare?images=<id1>,<id2>[,<id3>,<id4>] */
export const compareHref = (patientId: string, imageIds: readonly string[]) => `#/patients/${patientId}/compare?images=${imageIds.join(',')}`;

/** The image ids of a compare route's query (`images=a,b`), in the order given, without repeats. */
export function parseCompareQuery(query: string): string[] {
  const raw = new URLSearchParams(query).get('images') ?? '';
  return [...new Set(raw.split(',').map((id) => id.trim()).filter(Boolean))];
}

/** #/patients/<patientId>/mpr?series=<seriesId>: a CT series in three planes. */
export const mprHref = (patientId: string, seriesId: string) => `#/patients/${patientId}/mpr?series=${seriesId}`;
