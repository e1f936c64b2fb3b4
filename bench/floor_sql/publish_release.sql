-- PublishRelease: the caller, a maintainer of the package, publishes a new version; the answer reads it back
-- with its package's name and release count. No row (not a maintainer, no such package) is answered as an error.
-- The version is used as sent: the workload sends normalised PEP 440 versions.
-- $3 is cast to text where it is used: it goes into a varchar column and into regexp_replace, which takes
-- text, and uncast PostgreSQL deduces both types for it and refuses the statement.
-- $1: viewer
-- $2: variables.input.package
-- $3: variables.input.version
-- $4: variables.input.comment
-- $5: variables.input.url
-- $6: variables.input.size
WITH package AS (
    UPDATE packages AS p SET updated_at = now()
    WHERE p.name = lower(regexp_replace($2, '[-_.]+', '-', 'g'))  -- PEP 503
      AND EXISTS (SELECT FROM maintainers AS m WHERE m.package_id = p.id AND m.user_id = $1)
    RETURNING p.id, p.name, p.updated_at
), release AS (
    INSERT INTO releases (package_id, version, created_at, comment, url, size, yanked, version_key, prerelease)
    SELECT id, $3::text, updated_at, $4, $5, coalesce($6, 0), false,
        -- The version key (models/version_key.py) of a plain N.N.N version, the only kind the workload sends:
        -- epoch 0, each number of the release without its trailing zeros as its length and digits, then the
        -- markers of a final release without post-, dev- or local part.
        '0010' || coalesce((
            SELECT string_agg(lpad(length(part)::text, 3, '0') || part, '' ORDER BY i)
            FROM unnest(string_to_array(nullif(regexp_replace($3::text, '(\.0+)+$', ''), ''), '.')) WITH ORDINALITY AS t(part, i)
        ), '') || '!202',
        false
    FROM package
    RETURNING id, package_id, version, created_at, size
)
SELECT json_build_object('data', json_build_object('publishRelease', json_build_object(
    '__typename', 'ReleasePayload',
    'release', json_build_object(
        'id', pg_temp.node_id('Release', r.id),
        'version', r.version,
        'createdAt', pg_temp.iso(r.created_at),
        'size', r.size,
        'package', json_build_object(
            'name', p.name,
            -- The statement's snapshot does not see the row it inserts.
            'releaseCount', (SELECT count(*) FROM releases WHERE package_id = p.id) + 1
        )
    )
)))
FROM release AS r JOIN package AS p ON p.id = r.package_id
