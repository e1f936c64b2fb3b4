-- PackagePage: one package with its newest 20 releases, maintainers and classifiers.
-- $1: variables.name
SELECT json_build_object('data', json_build_object('package', (
    SELECT json_build_object(
        'id', pg_temp.node_id('Package', p.id),
        'name', p.name,
        'summary', p.summary,
        'description', p.description,
        'homePage', p.home_page,
        'docsUrl', p.docs_url,
        'license', p.license,
        'authorName', p.author_name,
        'createdAt', pg_temp.iso(p.created_at),
        'updatedAt', pg_temp.iso(p.updated_at),
        'releaseCount', counted.releases,
        'latestRelease', (
            SELECT json_build_object('version', r.version, 'createdAt', pg_temp.iso(r.created_at))
            FROM releases AS r
            WHERE r.package_id = p.id AND NOT r.yanked
            ORDER BY r.created_at DESC, r.id DESC
            LIMIT 1
        ),
        'releases', json_build_object(
            'totalCount', counted.releases,
            'pageInfo', json_build_object('hasNextPage', counted.releases > 20, 'endCursor', newest.end_cursor),
            'edges', newest.edges
        ),
        'maintainers', (
            SELECT coalesce(json_agg(json_build_object(
                'id', pg_temp.node_id('User', u.id), 'name', u.name, 'profileImageUrl', u.profile_image_url
            ) ORDER BY u.name, u.id), '[]')
            FROM maintainers AS m JOIN users AS u ON u.id = m.user_id
            WHERE m.package_id = p.id
        ),
        'classifiers', (
            SELECT coalesce(json_agg(json_build_object('name', c.name) ORDER BY c.name, c.id), '[]')
            FROM package_classifiers AS pc JOIN classifiers AS c ON c.id = pc.classifier_id
            WHERE pc.package_id = p.id
        )
    )
    FROM packages AS p
    CROSS JOIN LATERAL (SELECT count(*) AS releases FROM releases WHERE package_id = p.id) AS counted
    CROSS JOIN LATERAL (
        SELECT
            coalesce(json_agg(json_build_object('node', json_build_object(
                'id', pg_temp.node_id('Release', r.id),
                'version', r.version,
                'createdAt', pg_temp.iso(r.created_at),
                'size', r.size,
                'yanked', r.yanked
            )) ORDER BY r.created_at DESC, r.id DESC), '[]') AS edges,
            -- The page's last edge is its oldest release.
            (array_agg(pg_temp.release_cursor(r.created_at, r.id) ORDER BY r.created_at, r.id))[1] AS end_cursor
        FROM (
            SELECT * FROM releases WHERE package_id = p.id ORDER BY created_at DESC, id DESC LIMIT 20
        ) AS r
    ) AS newest
    WHERE p.name = lower(regexp_replace($1, '[-_.]+', '-', 'g'))  -- PEP 503, as the app normalises names
)))
