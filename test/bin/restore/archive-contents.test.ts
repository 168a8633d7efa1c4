import { describe, expect, it } from 'vitest';
import { parseTocList, scanSchemaScript } from '../../../bin/restore/archive-contents';

describe('archive contents', () => {
  it('parses pg_restore --list, multi-word types and names included', () => {
    const entries = parseTocList(
      [
        ';',
        '; Archive created at 2026-11-24',
        '215; 1259 16386 TABLE public t postgres',
        '3358; 3466 16404 EVENT TRIGGER - et alice',
        '3361; 0 0 SECURITY LABEL public TABLE t postgres',
        '3360; 6100 16405 SUBSCRIPTION - sub1 postgres',
        ';3000; 0 0 COMMENT - x y',
      ].join('\n'),
    );
    expect(entries.map((e) => [e.type, e.schema, e.name, e.owner])).toEqual([
      ['TABLE', 'public', 't', 'postgres'],
      ['EVENT TRIGGER', undefined, 'et', 'alice'],
      ['SECURITY LABEL', 'public', 'TABLE t', 'postgres'],
      ['SUBSCRIPTION', undefined, 'sub1', 'postgres'],
    ]);
  });

  it('finds tablespaces and label providers in the schema script', () => {
    expect(
      scanSchemaScript([
        "SET default_tablespace = '';",
        'SET default_tablespace = fast_ssd;',
        'SET default_tablespace = "Cold ""Disk""";',
        "SECURITY LABEL FOR selinux ON TABLE public.t IS 'x';",
      ]),
    ).toEqual({
      tablespaces: ['Cold "Disk"', 'fast_ssd'],
      labelProviders: ['selinux'],
    });
  });
});
