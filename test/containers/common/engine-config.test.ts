import { describe, expect, it } from 'vitest';
import { parseEngineConfig } from '../../../containers/common/engine-config';

describe('engine configuration', () => {
  it('has safe defaults', () => {
    expect(parseEngineConfig('')).toEqual({
      compression: { method: 'zstd', level: 1, threads: 0 },
      sizeGuard: { maxShrink: 0.5 },
      checks: [],
      freshness: [],
      deepProof: false,
      rdsOnlyExtensions: [
        'aws_s3',
        'aws_commons',
        'rds_tools',
        'apg_plan_mgmt',
        'aws_lambda',
        'aws_ml',
        'rds_activity_stream',
        'pg_transport',
      ],
    });
  });
  it.each([
    [
      '{"checks": [{"name": "x", "sql": "select 1", "expect": {}}]}',
      /checks\.0\.expect: an expectation needs at least one of min, max, equals/,
    ],
    ['{"sizeGuard": {"maxShrink": 2}}', /sizeGuard\.maxShrink/],
    ['{"compression": {"method": "brotli"}}', /compression\.method/],
    ['{"deepProof": "yes"}', /deepProof/],
    ['{"checkz": []}', /Unrecognized key.*checkz/],
    ['{"freshness": [{"table": "t", "column": "c", "maxAgeHours": -1}]}', /freshness\.0\.maxAgeHours/],
    [
      '{"checks": [{"name": "a", "sql": "select 1", "expect": {"min": 1}}, {"name": "a", "sql": "select 1", "expect": {"min": 1}}]}',
      /checks\.1\.name: duplicate check name "a"/,
    ],
    ['{not json', /PGPROOF_CONFIG is not valid JSON/],
  ])('rejects %s naming the field', (input, message) => {
    expect(() => parseEngineConfig(input)).toThrow(message);
  });
});
