-- SPDX-License-Identifier: EUPL-1.2
-- Organisational units as a tree: ministry -> school authority (Schulamt)
-- -> school; municipal school boards (Schulträger) maintain schools.

CREATE TYPE org_type AS ENUM ('ministry', 'authority', 'school', 'school_board');

CREATE TABLE org_unit (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code          text NOT NULL UNIQUE
                  CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    type          org_type NOT NULL,
    name          text NOT NULL CHECK (length(btrim(name)) > 0),
    parent_id     bigint REFERENCES org_unit (id),
    school_number text UNIQUE CHECK (school_number ~ '^[0-9]{5,6}$'),
    school_code   text GENERATED ALWAYS AS
                  (CASE WHEN school_number IS NOT NULL
                        THEN 'DE-MV-' || school_number END) STORED,
    board_id      bigint REFERENCES org_unit (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((type = 'school') = (school_number IS NOT NULL)),
    CHECK (type <> 'school' OR code = school_number),
    CHECK ((type = 'ministry') = (parent_id IS NULL)),
    CHECK (board_id IS NULL OR type = 'school')
);

CREATE INDEX org_unit_parent_idx ON org_unit (parent_id);

-- Only one ministry; parents and boards must have the right type.
CREATE UNIQUE INDEX org_unit_one_ministry ON org_unit (type)
    WHERE type = 'ministry';

CREATE FUNCTION org_unit_check_tree() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ptype org_type;
    btype org_type;
BEGIN
    IF NEW.parent_id IS NOT NULL THEN
        SELECT type INTO ptype FROM org_unit WHERE id = NEW.parent_id;
        IF NOT (
            (NEW.type = 'authority' AND ptype = 'ministry') OR
            (NEW.type = 'school' AND ptype = 'authority') OR
            (NEW.type = 'school_board' AND ptype IN ('ministry', 'authority'))
        ) THEN
            RAISE EXCEPTION 'a unit of type % cannot be placed below a %',
                NEW.type, ptype USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.board_id IS NOT NULL THEN
        SELECT type INTO btype FROM org_unit WHERE id = NEW.board_id;
        IF btype <> 'school_board' THEN
            RAISE EXCEPTION 'the board of a school must be a school_board'
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER org_unit_check_tree
    BEFORE INSERT OR UPDATE ON org_unit
    FOR EACH ROW EXECUTE FUNCTION org_unit_check_tree();
