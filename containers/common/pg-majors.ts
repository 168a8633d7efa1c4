// The supported PostgreSQL majors. The list lives in containers/pg-majors.json only: the image's Dockerfile reads
// the same file to decide which PGDG packages to install, so code and image cannot disagree.
import majors from '../pg-majors.json';

function validated(value: unknown): readonly number[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((m) => Number.isInteger(m) && m >= 10)) {
    throw new Error(
      `containers/pg-majors.json must be a non-empty array of PostgreSQL majors (integers >= 10), got ${JSON.stringify(value)}`,
    );
  }
  return Object.freeze([...(value as number[])].sort((a, b) => a - b));
}

/** PostgreSQL majors whose client and server binaries the image installs, ascending. */
export const SUPPORTED_PG_MAJORS: readonly number[] = validated(majors);
