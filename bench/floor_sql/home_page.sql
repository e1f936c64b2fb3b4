-- HomePage: the index-wide counts (from the counters the database keeps, as the app reads them) and the ten
-- newest releases with their packages.
SELECT json_build_object('data', json_build_object(
    'stats', json_build_object(
        'packageCount', (SELECT value FROM counters WHERE name = 'packages'),
        'releaseCount', (SELECT value FROM counters WHERE name = 'releases'),
        'userCount', (SELECT value FROM counters WHERE name = 'users'),
        'maintainerCount', (SELECT value FROM counters WHERE name = 'maintainers')
    ),
    'latestReleases', (
        SELECT coalesce(json_agg(json_build_object(
            'version', r.version,
            'createdAt', pg_temp.iso(r.created_at),
            'package', json_build_object('name', p.name, 'summary', p.summary)
        ) ORDER BY r.created_at DESC, r.id DESC), '[]')
        FROM (SELECT * FROM releases ORDER BY created_at DESC, id DESC LIMIT 10) AS r
        JOIN packages AS p ON p.id = r.package_id
    )
))
