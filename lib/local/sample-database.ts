import type pg from 'pg';

/**
 * A small but realistic database: several schemas, an enum, a partitioned table, a large object, a table owned
 * by a role a fresh cluster lacks, grants, a view, a sequence, non-ASCII text and a few thousand rows. The demo
 * backs it up and the tests restore it; `rows` scales the row counts.
 */
export function sampleDatabaseSql(options: { rows?: number; ownerRole?: string } = {}): string {
  const n = options.rows ?? 2000;
  const owner = options.ownerRole ?? 'pgproof_app_owner';
  return `
-- Roles are cluster-wide: tolerate another session creating them at the same moment.
do $$ begin
  begin create role ${owner} nologin; exception when duplicate_object or unique_violation then null; end;
  begin create role pgproof_reporting nologin; exception when duplicate_object or unique_violation then null; end;
end $$;

create schema shop;
create schema audit;
create type shop.order_status as enum ('new', 'paid', 'shipped', 'cancelled');

create table shop.customers (
  id bigint generated always as identity primary key,
  name text not null,
  city text not null,
  email text not null unique,
  created_at timestamptz not null default now()
);
insert into shop.customers (name, city, email, created_at)
select (array['Zoë Ångström', 'José Müller', '李小龍', 'Ивана Петрова', 'Renée Ødegård', 'Amélie Łukasz'])[1 + i % 6] || ' ' || i,
       (array['Zürich', 'São Paulo', '東京', 'Kraków', 'Reykjavík'])[1 + i % 5],
       'customer' || i || '@example.com',
       now() - (i % 400) * interval '1 hour'
  from generate_series(1, ${n}) as s(i);

create table shop.orders (
  id bigint not null,
  customer_id bigint not null references shop.customers(id),
  status shop.order_status not null,
  total numeric(12,2) not null,
  placed_at timestamptz not null,
  note text,
  primary key (id, placed_at)
) partition by range (placed_at);
create table shop.orders_old partition of shop.orders for values from (minvalue) to ('2026-01-01');
create table shop.orders_recent partition of shop.orders for values from ('2026-01-01') to (maxvalue);
insert into shop.orders (id, customer_id, status, total, placed_at, note)
select i, 1 + (i * 7) % ${n},
       (array['new', 'paid', 'shipped', 'cancelled']::shop.order_status[])[1 + i % 4],
       round((i % 997) * 1.37, 2),
       now() - (i % 900) * interval '17 hours',
       case when i % 10 = 0 then 'Lieferung bitte an die Rückseite — merci ✓' end
  from generate_series(1, ${n * 3}) as s(i);
create index orders_customer on shop.orders (customer_id);

create table audit.events (
  id bigserial primary key,
  happened_at timestamptz not null default now(),
  payload jsonb not null,
  ratio double precision,
  raw bytea
);
insert into audit.events (happened_at, payload, ratio, raw)
select now() - i * interval '1 minute', jsonb_build_object('event', 'login', 'user', i, 'ok', i % 3 <> 0),
       i / 7.0, decode(md5(i::text), 'hex')
  from generate_series(1, ${n}) as s(i);
alter table audit.events owner to ${owner};
grant select on audit.events to pgproof_reporting;

create view shop.revenue_by_status as select status, sum(total) as revenue from shop.orders group by status;
grant usage on schema shop to pgproof_reporting;
grant select on shop.revenue_by_status to pgproof_reporting;

create table public.documents (id int primary key, title text not null, body oid);
insert into public.documents values (1, 'Handbuch – Überblick', lo_from_bytea(0, convert_to('Große Datei: ½ KB of text ✓', 'UTF8')));
`;
}

/** Creates the sample objects in the database the client is connected to. */
export async function createSampleDatabase(
  client: pg.Client,
  options: { rows?: number; ownerRole?: string } = {},
): Promise<void> {
  await client.query(sampleDatabaseSql(options));
}
