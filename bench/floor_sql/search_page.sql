-- SearchPage: packages whose name or summary contains the query (as resolvers/packages.py `search` matches
-- them), the first 20 by name, each with its latest release.
-- $1: variables.query
WITH terms AS (
    SELECT query, lower(regexp_replace(query, '[-_.]+', '-', 'g')) AS name  -- PEP 503
    FROM (SELECT btrim($1, E' \t\n\r\f\v') AS query) AS trimmed
), patterns AS (
    -- Contained anywhere, with LIKE's wildcards and the escape character taken literally (ESCAPE '/').
    SELECT
        '%' || replace(replace(replace(query, '/', '//'), '%', '/%'), '_', '/_') || '%' AS as_typed,
        '%' || replace(replace(replace(name, '/', '//'), '%', '/%'), '_', '/_') || '%' AS as_name
    FROM terms
), found AS (
    SELECT p.id, p.name, p.summary
    FROM packages AS p, patterns
    WHERE p.name ILIKE as_typed ESCAPE '/'
       OR p.name LIKE as_name ESCAPE '/'  -- `zope.interface` finds zope-interface
       OR p.summary ILIKE as_typed ESCAPE '/'
), shown AS (
    SELECT * FROM found ORDER BY name, id LIMIT 20
)
SELECT json_build_object('data', json_build_object('search', json_build_object(
    'totalCount', (SELECT count(*) FROM found),
    'edges', (
        SELECT coalesce(json_agg(json_build_object('node', json_build_object(
            'name', s.name,
            'summary', s.summary,
            'latestRelease', (
                SELECT json_build_object('version', r.version)
                FROM releases AS r
                WHERE r.package_id = s.id AND NOT r.yanked
                ORDER BY r.created_at DESC, r.id DESC
                LIMIT 1
            )
        )) ORDER BY s.name, s.id), '[]')
        FROM shown AS s
    )
)))
