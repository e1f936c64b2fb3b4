-- SearchPage: packages whose name or summary has the query's words (as resolvers/search.py `search` finds and
-- ranks them on PostgreSQL), the first 20 by (exact name, score, id), each with its latest release.
-- $1: variables.query
WITH terms AS (
    SELECT
        lower(regexp_replace(query, '[-_.]+', '-', 'g')) AS name,  -- PEP 503
        -- `-`, `_` and `.` inside a word split it into words, as the index splits names.
        websearch_to_tsquery(
            'simple', regexp_replace(query, '(?<=[[:alnum:]])[-_.]+(?=[[:alnum:]])', ' ', 'g')
        ) AS tsquery
    FROM (SELECT btrim($1, E' \t\n\r\f\v') AS query) AS trimmed
), found AS (
    SELECT
        p.id, p.name, p.summary,
        CASE WHEN p.name = terms.name THEN 0 ELSE 1 END AS exact,
        -(ts_rank('{0.1, 0.2, 0.4, 1.0}'::float4[], p.search_vector, terms.tsquery)::float8) AS score
    FROM packages AS p, terms
    WHERE p.search_vector @@ terms.tsquery AND querytree(terms.tsquery) <> 'T'  -- not exclusions alone
), shown AS (
    SELECT * FROM found ORDER BY exact, score, id LIMIT 20
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
        )) ORDER BY s.exact, s.score, s.id), '[]')
        FROM shown AS s
    )
)))
