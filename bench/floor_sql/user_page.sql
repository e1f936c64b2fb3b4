-- UserPage: a user with the first 20 packages they maintain, each with its three newest releases.
-- $1: variables.id
SELECT json_build_object('data', json_build_object('user', (
    SELECT json_build_object(
        'name', u.name,
        'profileImageUrl', u.profile_image_url,
        'packages', json_build_object(
            'totalCount', (SELECT count(*) FROM maintainers WHERE user_id = u.id),
            'edges', (
                SELECT coalesce(json_agg(json_build_object('node', json_build_object(
                    'name', p.name,
                    'releases', json_build_object('edges', (
                        SELECT coalesce(json_agg(json_build_object('node', json_build_object(
                            'version', r.version
                        )) ORDER BY r.created_at DESC, r.id DESC), '[]')
                        FROM (
                            SELECT * FROM releases WHERE package_id = p.id ORDER BY created_at DESC, id DESC LIMIT 3
                        ) AS r
                    ))
                )) ORDER BY p.name, p.id), '[]')
                FROM (
                    SELECT p.* FROM packages AS p JOIN maintainers AS m ON m.package_id = p.id
                    WHERE m.user_id = u.id
                    ORDER BY p.name, p.id
                    LIMIT 20
                ) AS p
            )
        )
    )
    FROM users AS u
    -- The global ID is base64 of "User:<id>".
    WHERE u.id = (
        SELECT CASE WHEN split_part(plain, ':', 1) = 'User' THEN split_part(plain, ':', 2)::bigint END
        FROM (SELECT convert_from(decode($1, 'base64'), 'UTF8') AS plain) AS decoded
    )
)))
