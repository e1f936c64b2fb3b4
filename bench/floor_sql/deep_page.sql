-- DeepPage: 100 packages by name; their five newest releases; each release's package with its maintainers;
-- and each maintainer's first three packages. A package's part is built once and shared by its releases.
WITH shown AS (
    SELECT id, name FROM packages ORDER BY name, id LIMIT 100
)
SELECT json_build_object('data', json_build_object('packages', json_build_object(
    'edges', (
        SELECT coalesce(json_agg(json_build_object('node', json_build_object(
            'releases', json_build_object('edges', (
                SELECT coalesce(json_agg(
                    json_build_object('node', json_build_object('package', package_part.json))
                    ORDER BY r.created_at DESC, r.id DESC
                ), '[]')
                FROM (
                    SELECT id, created_at FROM releases WHERE package_id = s.id ORDER BY created_at DESC, id DESC LIMIT 5
                ) AS r
            ))
        )) ORDER BY s.name, s.id), '[]')
        FROM shown AS s
        CROSS JOIN LATERAL (
            SELECT json_build_object(
                'name', s.name,
                'maintainers', (
                    SELECT coalesce(json_agg(json_build_object(
                        'name', u.name,
                        'packages', json_build_object('edges', (
                            SELECT coalesce(json_agg(
                                json_build_object('node', json_build_object('name', theirs.name))
                                ORDER BY theirs.name, theirs.id
                            ), '[]')
                            FROM (
                                SELECT p.id, p.name FROM packages AS p JOIN maintainers AS mp ON mp.package_id = p.id
                                WHERE mp.user_id = u.id
                                ORDER BY p.name, p.id
                                LIMIT 3
                            ) AS theirs
                        ))
                    ) ORDER BY u.name, u.id), '[]')
                    FROM maintainers AS m JOIN users AS u ON u.id = m.user_id
                    WHERE m.package_id = s.id
                )
            ) AS json
        ) AS package_part
    )
)))
