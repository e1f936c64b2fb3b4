-- ListPage: the first 50 packages by name, each with its latest release and maintainers.
WITH page AS (
    -- One row more than the page, to tell whether a next page exists.
    SELECT id, name, summary FROM packages ORDER BY name, id LIMIT 51
), shown AS (
    SELECT * FROM page ORDER BY name, id LIMIT 50
)
SELECT json_build_object('data', json_build_object('packages', json_build_object(
    'totalCount', (SELECT value FROM counters WHERE name = 'packages'),
    'pageInfo', json_build_object(
        'hasNextPage', (SELECT count(*) > 50 FROM page),
        'endCursor', (SELECT pg_temp.package_cursor(name, id) FROM shown ORDER BY name DESC, id DESC LIMIT 1)
    ),
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
            ),
            'maintainers', (
                SELECT coalesce(json_agg(json_build_object('name', u.name) ORDER BY u.name, u.id), '[]')
                FROM maintainers AS m JOIN users AS u ON u.id = m.user_id
                WHERE m.package_id = s.id
            )
        )) ORDER BY s.name, s.id), '[]')
        FROM shown AS s
    )
)))
