import { describe, expect, it } from 'vitest';
import { DEFAULT_RDS_ONLY_EXTENSIONS, parseEngineConfig } from '../../../containers/common/engine-config';
import {
  commentOut,
  describeEntry,
  listedExtensions,
  orphanDataIds,
  planExtensionSkips,
  TocHeaderReader,
} from '../../../containers/common/restore-list';

// What PostgreSQL 15's `pg_restore --list` prints for a database with an extension (own schema, a configuration
// table), a table using the extension's type, a view calling its function, and plain user objects.
const LIST = `;
; Archive created at 2026-12-01 08:18:27 UTC
;     dbname: src
;
; Selected TOC Entries:
;
7; 2615 16385 SCHEMA - aws_commons postgres
2; 3079 16386 EXTENSION - aws_commons 
3372; 0 0 COMMENT - EXTENSION aws_commons 
3373; 0 0 ACL aws_commons FUNCTION create_s3_uri(b text, f text, r text) postgres
221; 1255 16412 FUNCTION public uses(integer) postgres
3374; 0 0 ACL public FUNCTION uses(integer) postgres
219; 1259 16405 TABLE public plain postgres
218; 1259 16398 TABLE public t postgres
220; 1259 16408 VIEW public v postgres
3216; 0 16391 TABLE DATA aws_commons settings postgres
3365; 0 16405 TABLE DATA public plain postgres
3364; 0 16398 TABLE DATA public t postgres
3220; 2606 16404 CONSTRAINT public t t_pkey postgres
`;

// The headers of `pg_restore --verbose --file=-` for the same archive (data entries left out).
const SCRIPT = `--
-- TOC entry 7 (class 2615 OID 16385)
-- Name: aws_commons; Type: SCHEMA; Schema: -; Owner: postgres
-- Data Pos: 0
--

CREATE SCHEMA aws_commons;

--
-- TOC entry 2 (class 3079 OID 16386)
-- Dependencies: 7
-- Name: aws_commons; Type: EXTENSION; Schema: -; Owner: -
-- Data Pos: 0
--
-- TOC entry 3372 (class 0 OID 0)
-- Dependencies: 2
-- Name: EXTENSION aws_commons; Type: COMMENT; Schema: -; Owner: 
--
-- TOC entry 3373 (class 0 OID 0)
-- Dependencies: 222
-- Name: FUNCTION create_s3_uri(b text, f text, r text); Type: ACL; Schema: aws_commons; Owner: postgres
--
-- TOC entry 221 (class 1255 OID 16412)
-- Name: uses(integer); Type: FUNCTION; Schema: public; Owner: postgres
-- Data Pos: 0
--

CREATE FUNCTION public.uses(x integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$ begin
-- TOC entry 999 (class 1259 OID 1)
-- Name: fake; Type: TABLE; Schema: public; Owner: postgres
perform 1; end $$;

--
-- TOC entry 3374 (class 0 OID 0)
-- Dependencies: 221
-- Name: FUNCTION uses(integer); Type: ACL; Schema: public; Owner: postgres
--
-- TOC entry 219 (class 1259 OID 16405)
-- Name: plain; Type: TABLE; Schema: public; Owner: postgres
--
-- TOC entry 218 (class 1259 OID 16398)
-- Dependencies: 2 7
-- Name: t; Type: TABLE; Schema: public; Owner: postgres
--
-- TOC entry 220 (class 1259 OID 16408)
-- Dependencies: 2 2 7 7 219 2 7
-- Name: v; Type: VIEW; Schema: public; Owner: postgres
--
-- TOC entry 3220 (class 2606 OID 16404)
-- Dependencies: 218
-- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
`;

function headersOf(script: string) {
  const reader = new TocHeaderReader();
  for (const line of script.split('\n')) reader.push(line);
  return reader.headers;
}

describe('restore list: RDS-only extensions', () => {
  it('finds the EXTENSION entries of a --list', () => {
    expect(listedExtensions(LIST)).toEqual([{ id: 2, name: 'aws_commons' }]);
  });

  it('reads entry headers with their dependencies, and is not fooled by a header-like comment inside a function body', () => {
    const headers = headersOf(SCRIPT);
    expect(headers.get(220)).toEqual({
      id: 220,
      type: 'VIEW',
      schema: 'public',
      name: 'v',
      dependencies: [2, 2, 7, 7, 219, 2, 7],
    });
    expect(headers.get(3372)).toMatchObject({ type: 'COMMENT', name: 'EXTENSION aws_commons', dependencies: [2] });
    expect(headers.has(999)).toBe(false);
    expect(headers.size).toBe(10);
  });

  it('leaves out the extension, its comment, the grants on its members (not dumped themselves) and its configuration data; names the user objects that need it', () => {
    // GIVEN the dump above, WHEN aws_commons is RDS-only
    const plan = planExtensionSkips(LIST, headersOf(SCRIPT), ['aws_s3', 'aws_commons']);
    // THEN
    expect(plan.skippedExtensions).toEqual(['aws_commons']);
    expect(plan.droppedIds).toEqual([2, 3216, 3372, 3373]);
    expect(plan.blocked.map(describeEntry)).toEqual(['TABLE public.t', 'VIEW public.v', 'CONSTRAINT public.t t_pkey']);
  });

  it('falls back to a schema named after the extension when the archive holds no schema entry for it', () => {
    const list = LIST.replace('7; 2615 16385 SCHEMA - aws_commons postgres\n', '');
    const headers = headersOf(
      SCRIPT.replace(
        '-- Dependencies: 7\n-- Name: aws_commons; Type: EXTENSION',
        '-- Name: aws_commons; Type: EXTENSION',
      ),
    );
    expect(planExtensionSkips(list, headers, ['aws_commons']).droppedIds).toEqual([2, 3216, 3372, 3373]);
  });

  it('leaves out a grant on the schema an RDS extension creates for its members (a member, not dumped)', () => {
    const list = `${LIST}3380; 0 0 ACL - SCHEMA aws_commons postgres\n`;
    const headers = headersOf(
      `${SCRIPT}--\n-- TOC entry 3380 (class 0 OID 0)\n-- Dependencies: 8\n-- Name: SCHEMA aws_commons; Type: ACL; Schema: -; Owner: postgres\n`,
    );
    expect(planExtensionSkips(list, headers, ['aws_commons']).droppedIds).toContain(3380);
    expect(planExtensionSkips(list, headers, ['aws_s3']).droppedIds).toEqual([]);
  });

  it('keeps grants on undumped objects of a schema that a kept extension shares', () => {
    const list = `${LIST}9; 3079 16500 EXTENSION - pg_trgm \n`;
    const headers = headersOf(
      `${SCRIPT}--\n-- TOC entry 9 (class 3079 OID 16500)\n-- Dependencies: 7\n-- Name: pg_trgm; Type: EXTENSION; Schema: -; Owner: -\n`,
    );
    expect(planExtensionSkips(list, headers, ['aws_commons']).droppedIds).toEqual([2, 3372]);
  });

  it('leaves everything in when no extension of the dump is on the list', () => {
    const plan = planExtensionSkips(LIST, headersOf(SCRIPT), ['aws_s3']);
    expect(plan).toEqual({ skippedExtensions: [], droppedIds: [], blocked: [] });
  });

  it("treats only data without a table of its own, in the extension's schema, as the extension's configuration data", () => {
    expect(orphanDataIds(LIST, new Set(['aws_commons']))).toEqual([3216]);
    expect(orphanDataIds(LIST, new Set(['public']))).toEqual([]);
  });

  it('comments out exactly the dropped entries for --use-list', () => {
    const out = commentOut(LIST, new Set([2, 3372])).split('\n');
    expect(out).toContain(';2; 3079 16386 EXTENSION - aws_commons ');
    expect(out).toContain(';3372; 0 0 COMMENT - EXTENSION aws_commons ');
    expect(out).toContain('3364; 0 16398 TABLE DATA public t postgres');
    expect(out.filter((l) => /^;\d/.test(l))).toHaveLength(2);
  });
});

describe('engine config: rdsOnlyExtensions', () => {
  it('defaults to the extensions that exist only on RDS and Aurora', () => {
    // The list itself is pinned in engine-config.test.ts.
    expect(parseEngineConfig({}).rdsOnlyExtensions).toEqual(DEFAULT_RDS_ONLY_EXTENSIONS);
    expect(DEFAULT_RDS_ONLY_EXTENSIONS).toContain('aws_s3');
  });

  it('takes a list that replaces the default, and refuses what is not an extension name', () => {
    expect(parseEngineConfig({ rdsOnlyExtensions: ['my_rds_ext'] }).rdsOnlyExtensions).toEqual(['my_rds_ext']);
    expect(() => parseEngineConfig({ rdsOnlyExtensions: ['aws_s3; drop table x'] })).toThrow(
      /rdsOnlyExtensions\.0: an extension name/,
    );
    expect(() => parseEngineConfig({ rdsOnlyExtensions: 'aws_s3' })).toThrow(/rdsOnlyExtensions/);
  });
});
