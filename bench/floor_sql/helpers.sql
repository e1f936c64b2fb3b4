-- Helpers that the floor statements use, created as temporary functions on each connection of the pool
-- (pg_temp: nothing is added to the database). Plain SQL functions, which the planner inlines (so STABLE,
-- as convert_to and to_json are).
-- They take values from rows only. Called on a bound parameter, a helper would be run while the statement is
-- planned, and pg_stat_statements would count that run as a statement of its own; the statements write what
-- they do with their parameters inline.

-- A timestamp as Python's datetime.isoformat() writes an aware UTC one (microseconds only when non-zero).
CREATE FUNCTION pg_temp.iso(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN extract(microseconds FROM t)::bigint % 1000000 = 0
                THEN '' ELSE to_char(t AT TIME ZONE 'UTC', '.US') END
        || '+00:00'
$$;

-- A Relay global ID: base64 of "TypeName:id", as strawberry's relay writes it.
CREATE FUNCTION pg_temp.node_id(type_name text, id bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT encode(convert_to(type_name || ':' || id, 'UTF8'), 'base64')
$$;

-- A keyset cursor as loaders/paging.py Ordering.encode writes it: url-safe base64, without padding, of the
-- compact JSON array [ordering name, key values...].
CREATE FUNCTION pg_temp.cursor(payload text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT rtrim(translate(encode(convert_to(payload, 'UTF8'), 'base64'), E'+/\n', '-_'), '=')
$$;

-- Cursors of the two orderings the workload pages on: packages by name, releases newest first.
CREATE FUNCTION pg_temp.package_cursor(name text, id bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT pg_temp.cursor('["name:asc",' || to_json(name)::text || ',' || id || ']')
$$;

CREATE FUNCTION pg_temp.release_cursor(created_at timestamptz, id bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT pg_temp.cursor('["newest","' || pg_temp.iso(created_at) || '",' || id || ']')
$$;
