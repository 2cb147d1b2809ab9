-- Lets PostgreSQL serve FerretDB's equality lookups from an index. Apply to FerretDB's
-- PostgreSQL database (infra-up.sh does, when FerretDB runs on PostgreSQL):
--   psql postgres://postgres@127.0.0.1:54329/ferretdb -X -q -v ON_ERROR_STOP=1 -f deploy/local/ferretdb-indexes.sql
-- then (re)start FerretDB: the plan_cache_mode setting reaches new connections only.
-- Idempotent. Needs a superuser (event triggers). Does nothing for the SQLite handler.
--
-- Why: FerretDB 1.24 pushes a top-level equality down as the cached prepared statement
--   SELECT _jsonb FROM <schema>.<table> WHERE _jsonb->$1 @> $2
-- The btree index it creates for createIndex, ((_jsonb->'field')), cannot serve `@>`, and a
-- generic plan (the key is a parameter) cannot match any expression index, so every find,
-- update and delete scanned the whole table. Two changes fix that:
--   * for the leading field of every btree index FerretDB creates (its `_id_` index too: a
--     query uses an index by its first field, as on MongoDB; more GIN indexes only slow
--     inserts), a GIN index USING gin ((_jsonb->'field') jsonb_path_ops) WITH (fastupdate = off), made by
--     an event trigger on CREATE INDEX, for new collections/indexes, and by a backfill for
--     existing ones (fastupdate = off: with the pending list, lookups after many inserts took
--     2 ms instead of 0.8);
--   * plan_cache_mode = force_custom_plan for this database, so each execution is planned
--     with the actual key and value, and the planner sees _jsonb->'field' @> '...'.
-- Dotted paths (_jsonb->'a'->'b') are skipped: FerretDB pushes down top-level keys only.
-- FerretDB's updates/deletes by _id (WHERE _jsonb->'_id' = $2) already used its btree.
-- The GIN indexes are invisible to FerretDB (listIndexes reads its own metadata); they go
-- away with their collection (DROP TABLE) or database (DROP SCHEMA ... CASCADE), but stay when
-- FerretDB drops just the btree index (dropIndexes).
--
-- Reset (undo everything; first make infra-up stop re-applying it: FERRETDB_PG_INDEXES=off):
--   DROP EVENT TRIGGER IF EXISTS ferretdb_gin_indexes;
--   ALTER DATABASE ferretdb RESET plan_cache_mode;
--   CALL public.ferretdb_gin_drop_all();   -- drops every GIN index made here
--   DROP PROCEDURE public.ferretdb_gin_drop_all(), public.ferretdb_gin_backfill(integer);
--   DROP FUNCTION public.ferretdb_gin_on_create_index(), public.ferretdb_gin_missing(oid),
--                 public.ferretdb_gin_name(text, text);
-- and restart FerretDB.

SET client_min_messages = warning;
\if :{?ferretdb_indexes_version}
\else
\set ferretdb_indexes_version manual
\endif

BEGIN;

-- Deterministic index name, unique per schema, at most 63 bytes:
-- <table>_<field> made of [a-z0-9_], cut to 50 characters, + '_' + 8 hex of md5 + '_gin'.
CREATE OR REPLACE FUNCTION public.ferretdb_gin_name(tbl text, field text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT left(regexp_replace(lower(tbl || '_' || field), '[^a-z0-9_]+', '_', 'g'), 50)
         || '_' || left(md5(tbl || '/' || field), 8) || '_gin'
$$;

-- The GIN indexes that are missing: one for the leading field of each btree index on a FerretDB
-- collection table (a table with a jsonb column _jsonb in a schema that has
-- _ferretdb_database_metadata, except that table itself). FerretDB's index columns read
-- (_jsonb -> 'field'::text); dotted paths read ((_jsonb -> 'a'::text) -> 'b'::text) and do
-- not match. only_index: look at that one index only (the event trigger's case).
CREATE OR REPLACE FUNCTION public.ferretdb_gin_missing(only_index oid DEFAULT NULL)
RETURNS TABLE (schema_name name, table_name name, field text, index_name text)
LANGUAGE sql STABLE
SET search_path = pg_catalog
AS $$
  SELECT DISTINCT n.nspname, t.relname, f.field, public.ferretdb_gin_name(t.relname, f.field)
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
  JOIN pg_class t ON t.oid = i.indrelid AND t.relkind = 'r'
                 AND t.relname <> '_ferretdb_database_metadata'
  JOIN pg_namespace n ON n.oid = t.relnamespace
  CROSS JOIN LATERAL (VALUES (1)) AS k(col) -- the leading field: what a lookup by the index starts with
  CROSS JOIN LATERAL regexp_match(pg_get_indexdef(i.indexrelid, k.col, true),
                                  '^\(?_jsonb -> ''((?:[^'']|'''')*)''::text\)?$') AS m(a)
  CROSS JOIN LATERAL (SELECT replace(m.a[1], '''''', '''') AS field) AS f
  WHERE (only_index IS NULL OR i.indexrelid = only_index)
    AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND m.a IS NOT NULL
    AND EXISTS (SELECT 1 FROM pg_class md
                WHERE md.relnamespace = t.relnamespace AND md.relname = '_ferretdb_database_metadata'
                  AND md.relkind = 'r')
    AND EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = t.oid AND a.attname = '_jsonb' AND a.atttypid = 'jsonb'::regtype
                  AND NOT a.attisdropped)
    AND NOT EXISTS (SELECT 1 FROM pg_class g
                    WHERE g.relnamespace = t.relnamespace
                      AND g.relname = public.ferretdb_gin_name(t.relname, f.field))
$$;

-- Event trigger: after each CREATE INDEX, adds the GIN indexes for a FerretDB btree index, in
-- the same transaction. Never fails FerretDB's statement: errors become a WARNING. Its own
-- CREATE INDEX fires it again; that call finds a GIN index (not btree) and, besides, the
-- ferretdb_gin.active flag stops it at once.
CREATE OR REPLACE FUNCTION public.ferretdb_gin_on_create_index() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $$
DECLARE
  r record;
BEGIN
  IF current_setting('ferretdb_gin.active', true) = 'on' THEN
    RETURN;
  END IF;
  BEGIN
    PERFORM set_config('ferretdb_gin.active', 'on', true);
    FOR r IN
      SELECT m.*
      FROM pg_event_trigger_ddl_commands() AS c
      CROSS JOIN LATERAL public.ferretdb_gin_missing(c.objid) AS m
      WHERE c.command_tag = 'CREATE INDEX' AND c.object_type = 'index'
    LOOP
      BEGIN
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> %L) jsonb_path_ops) WITH (fastupdate = off)',
                       r.index_name, r.schema_name, r.table_name, r.field);
      EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'ferretdb-indexes: no GIN index on %.%(%): % (SQLSTATE %)',
          r.schema_name, r.table_name, r.field, SQLERRM, SQLSTATE;
      END;
    END LOOP;
    PERFORM set_config('ferretdb_gin.active', 'off', true);
  EXCEPTION WHEN OTHERS THEN
    -- the sub-transaction's set_config is undone with it
    RAISE WARNING 'ferretdb-indexes: event trigger failed: % (SQLSTATE %)', SQLERRM, SQLSTATE;
  END;
END
$$;

DROP EVENT TRIGGER IF EXISTS ferretdb_gin_indexes;
CREATE EVENT TRIGGER ferretdb_gin_indexes ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION public.ferretdb_gin_on_create_index();
-- infra-up.sh compares this with the md5 of this file to know whether to apply it again.
COMMENT ON EVENT TRIGGER ferretdb_gin_indexes IS :'ferretdb_indexes_version';

-- Backfill: creates the missing GIN indexes of all existing FerretDB databases and
-- collections, one transaction each (so a table is locked only while its index builds);
-- a failure (a test dropping its database meanwhile, lock_timeout) is a WARNING.
-- `created` returns how many it made.
CREATE OR REPLACE PROCEDURE public.ferretdb_gin_backfill(INOUT created integer DEFAULT 0)
LANGUAGE plpgsql
AS $$
DECLARE
  r record;
BEGIN
  created := 0;
  FOR r IN SELECT * FROM public.ferretdb_gin_missing() LOOP
    BEGIN
      EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> %L) jsonb_path_ops) WITH (fastupdate = off)',
                     r.index_name, r.schema_name, r.table_name, r.field);
      created := created + 1;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'ferretdb-indexes: no GIN index on %.%(%): % (SQLSTATE %)',
        r.schema_name, r.table_name, r.field, SQLERRM, SQLSTATE;
    END;
    COMMIT;
  END LOOP;
END
$$;

-- For the reset: drops every GIN index named by ferretdb_gin_name on a FerretDB table.
CREATE OR REPLACE PROCEDURE public.ferretdb_gin_drop_all()
LANGUAGE plpgsql
AS $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT n.nspname, ic.relname
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'gin'
    JOIN pg_namespace n ON n.oid = ic.relnamespace
    WHERE ic.relname LIKE '%\_gin'
      AND EXISTS (SELECT 1 FROM pg_class md
                  WHERE md.relnamespace = ic.relnamespace AND md.relname = '_ferretdb_database_metadata')
  LOOP
    EXECUTE format('DROP INDEX IF EXISTS %I.%I', r.nspname, r.relname);
    COMMIT;
  END LOOP;
END
$$;

COMMIT;

-- New connections of this database plan each execution with its parameters (FerretDB
-- must reconnect, i.e. restart, to get it).
SELECT current_database() AS ferretdb_indexes_db \gset
ALTER DATABASE :"ferretdb_indexes_db" SET plan_cache_mode = force_custom_plan;

-- Prints how many GIN indexes the backfill created.
CALL public.ferretdb_gin_backfill();
