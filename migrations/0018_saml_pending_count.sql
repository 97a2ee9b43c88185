-- SPDX-License-Identifier: EUPL-1.2
-- The number of rows of saml_pending, kept by triggers, so that idmd can
-- refuse to park an AuthnRequest once [idp] pending_max rows wait in all
-- without counting the table for every request (a scan of up to 100,000
-- rows). Spread over 16 rows, each backend adding to the one its process
-- id picks, so that parks on many connections do not queue for one row
-- lock; the total is their sum. Every insert and delete counts, whoever
-- makes it (a login taking its row, housekeeping, an older node).

-- no park or login changes the table while it is counted
LOCK TABLE saml_pending IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE saml_pending_count (
    shard smallint PRIMARY KEY CHECK (shard BETWEEN 0 AND 15),
    n     bigint NOT NULL DEFAULT 0
);

INSERT INTO saml_pending_count (shard) SELECT generate_series(0, 15);
UPDATE saml_pending_count SET n = (SELECT count(*) FROM saml_pending)
    WHERE shard = 0;

CREATE FUNCTION saml_pending_count_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE saml_pending_count SET n = 0;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO d FROM new_rows;
    ELSE
        SELECT -count(*) INTO d FROM old_rows;
    END IF;
    IF d <> 0 THEN
        UPDATE saml_pending_count SET n = n + d
            WHERE shard = pg_backend_pid() % 16;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER saml_pending_count_insert
    AFTER INSERT ON saml_pending REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION saml_pending_count_rows();
CREATE TRIGGER saml_pending_count_delete
    AFTER DELETE ON saml_pending REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION saml_pending_count_rows();
CREATE TRIGGER saml_pending_count_truncate
    AFTER TRUNCATE ON saml_pending
    FOR EACH STATEMENT EXECUTE FUNCTION saml_pending_count_rows();
