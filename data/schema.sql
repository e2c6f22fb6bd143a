-- Canonical tables (DESIGN.md section 2). One row per fact at the finest grain the export gives.
-- Counts are never negative; a blank in an export is "not reported" and is stored as no row, never as 0.

CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS branches (
    branch_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    name_zh VARCHAR,
    kind VARCHAR NOT NULL DEFAULT 'branch'
        CHECK (kind IN ('main', 'branch', 'community', 'mobile', 'museum', 'centre', 'other')),
    parent_id VARCHAR,
    district VARCHAR,
    -- the district's Chinese name, shown in Chinese where `district` is an English or code name
    district_zh VARCHAR,
    service_population BIGINT CHECK (service_population >= 0),
    opened_on DATE,
    closed_on DATE,
    source_file VARCHAR,
    CHECK (closed_on IS NULL OR opened_on IS NULL OR closed_on >= opened_on),
    CHECK (parent_id IS NULL OR parent_id <> branch_id)
);

-- Every spelling that resolves to a branch, keyed by its normalised form (see data/names.py).
CREATE TABLE IF NOT EXISTS branch_aliases (
    alias_key VARCHAR PRIMARY KEY,
    alias VARCHAR NOT NULL,
    branch_id VARCHAR NOT NULL REFERENCES branches (branch_id)
);

-- System-wide lines (renewal channels, e-media, other channels): network-level rows of their own kind, never
-- service points. Their facts sit in the fact tables under a branches row that this table marks (see
-- data/systemlines.py); the metric layer keeps them out of rankings, branch lists and per-branch views.
-- No foreign key: DuckDB refuses to delete a branches row that a key refers to, even in a later statement.
CREATE TABLE IF NOT EXISTS system_lines (
    branch_id VARCHAR PRIMARY KEY,
    line_type VARCHAR NOT NULL CHECK (line_type IN ('renewals', 'e-media', 'other-channel')),
    reason VARCHAR NOT NULL,
    source_file VARCHAR
);

-- audience 'all' is the total; any other audience is a segment of it (e.g. minors), never added to it.
CREATE TABLE IF NOT EXISTS visits (
    date DATE NOT NULL CHECK (date BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'),
    branch_id VARCHAR NOT NULL REFERENCES branches (branch_id),
    visits BIGINT NOT NULL CHECK (visits >= 0),
    grain VARCHAR NOT NULL CHECK (grain IN ('day', 'month', 'quarter', 'year')),
    method VARCHAR NOT NULL DEFAULT 'counted' CHECK (method IN ('counted', 'estimated')),
    audience VARCHAR NOT NULL DEFAULT 'all',
    source_file VARCHAR NOT NULL
);

-- circulation: total loans including renewals, for exports that give only that total.
-- No foreign key on branch_id here: with tens of millions of loans the per-row check made imports
-- twenty times slower. Every writer is the importer, which stores only ids it resolved through the
-- alias table (tests/test_import_fastpath.py checks that an unknown branch is refused).
CREATE TABLE IF NOT EXISTS circulation (
    date DATE NOT NULL CHECK (date BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'),
    branch_id VARCHAR NOT NULL,
    checkouts BIGINT CHECK (checkouts >= 0),
    renewals BIGINT CHECK (renewals >= 0),
    returns BIGINT CHECK (returns >= 0),
    circulation BIGINT CHECK (circulation >= 0),
    grain VARCHAR NOT NULL CHECK (grain IN ('day', 'month', 'quarter', 'year')),
    item_type VARCHAR NOT NULL DEFAULT 'all',
    patron_category VARCHAR NOT NULL DEFAULT 'all',
    source_file VARCHAR NOT NULL,
    CHECK (checkouts IS NOT NULL OR renewals IS NOT NULL OR returns IS NOT NULL OR circulation IS NOT NULL)
);

-- circulation summed over item types and patron categories: what the pages read unless they break a
-- metric down by those. Rebuilt for a source file whenever that file is imported.
CREATE TABLE IF NOT EXISTS circulation_daily (
    date DATE NOT NULL,
    branch_id VARCHAR NOT NULL,
    checkouts BIGINT,
    renewals BIGINT,
    returns BIGINT,
    circulation BIGINT,
    grain VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL
);

-- One row per event, or per group of sessions when an export only gives counts (sessions > 1).
CREATE TABLE IF NOT EXISTS events (
    event_id VARCHAR PRIMARY KEY,
    date DATE NOT NULL CHECK (date BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'),
    branch_id VARCHAR NOT NULL REFERENCES branches (branch_id),
    grain VARCHAR NOT NULL DEFAULT 'day' CHECK (grain IN ('day', 'month', 'quarter', 'year')),
    title VARCHAR,
    title_zh VARCHAR,
    category VARCHAR NOT NULL DEFAULT 'other',
    audience VARCHAR NOT NULL DEFAULT 'general',
    format VARCHAR NOT NULL DEFAULT 'onsite' CHECK (format IN ('onsite', 'offsite', 'online')),
    sessions INTEGER CHECK (sessions >= 0),
    attendance BIGINT CHECK (attendance >= 0),
    satisfaction DOUBLE CHECK (satisfaction >= 0 AND satisfaction <= scale_max),
    responses INTEGER CHECK (responses >= 0),
    scale_max DOUBLE CHECK (scale_max > 0),
    volunteers INTEGER CHECK (volunteers >= 0),
    volunteer_hours DOUBLE CHECK (volunteer_hours >= 0),
    beneficiaries BIGINT CHECK (beneficiaries >= 0),
    planned BOOLEAN NOT NULL DEFAULT false,
    source_file VARCHAR NOT NULL,
    -- A named programme the event belongs to (暖夕相伴), as exported; NULL for none. Last, as data/db.py's
    -- migration adds it to an older database, so that both have the same column order.
    programme VARCHAR,
    CHECK (satisfaction IS NULL OR scale_max IS NOT NULL)
);

-- Respondent-level answers. score NULL means the respondent answered "don't know".
CREATE TABLE IF NOT EXISTS surveys (
    date DATE NOT NULL CHECK (date BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'),
    branch_id VARCHAR NOT NULL REFERENCES branches (branch_id),
    grain VARCHAR NOT NULL DEFAULT 'day' CHECK (grain IN ('day', 'month', 'quarter', 'year')),
    respondent_id VARCHAR,
    question VARCHAR NOT NULL DEFAULT 'overall',
    score DOUBLE CHECK (score >= 0 AND score <= scale_max),
    scale_max DOUBLE NOT NULL CHECK (scale_max > 0),
    audience VARCHAR,
    category VARCHAR,
    source_file VARCHAR NOT NULL
);

-- branch_id NULL means a target for the whole network.
CREATE TABLE IF NOT EXISTS targets (
    year INTEGER NOT NULL CHECK (year BETWEEN 1900 AND 2100),
    branch_id VARCHAR REFERENCES branches (branch_id),
    metric VARCHAR NOT NULL,
    target DOUBLE NOT NULL CHECK (target >= 0),
    source_file VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS measures (
    date DATE NOT NULL CHECK (date BETWEEN DATE '1900-01-01' AND DATE '2100-12-31'),
    branch_id VARCHAR NOT NULL REFERENCES branches (branch_id),
    measure VARCHAR NOT NULL,
    value DOUBLE NOT NULL CHECK (value >= 0),
    grain VARCHAR NOT NULL CHECK (grain IN ('day', 'month', 'quarter', 'year')),
    source_file VARCHAR NOT NULL
);

-- The audit log: one row per imported file; content_hash makes re-import idempotent (removed ones aside).
CREATE SEQUENCE IF NOT EXISTS import_ids START 1;
CREATE TABLE IF NOT EXISTS imports (
    import_id BIGINT PRIMARY KEY DEFAULT nextval('import_ids'),
    source_file VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    layout VARCHAR NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL,
    rows_skipped INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    date_min DATE,
    date_max DATE,
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    -- set when `python -m data remove` (or the Data page) took the file's rows back; the row stays as history
    removed_at TIMESTAMP,
    -- the options that shaped the rows (data/identity.py): canonical JSON and its SHA-256; NULL before they were kept
    options VARCHAR,
    options_hash VARCHAR
);

-- Rows left out of a --quarantine import, for the Data page.
CREATE TABLE IF NOT EXISTS rejected_rows (
    import_id BIGINT NOT NULL,
    line INTEGER NOT NULL,
    column_name VARCHAR,
    value VARCHAR,
    reason VARCHAR NOT NULL
);

-- The data-quality findings of the whole network (metrics/quality.py record), computed when a generation is
-- written (data/store.py) so that pages read them instead of running the checks; meta's 'quality_findings_of'
-- row says which rules and data version they describe. `facts` is JSON (quality._facts_text).
CREATE TABLE IF NOT EXISTS quality_findings (
    position INTEGER NOT NULL,
    fact_table VARCHAR NOT NULL,
    branch_id VARCHAR NOT NULL,
    branch_name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    evidence VARCHAR NOT NULL,
    value DOUBLE,
    baseline DOUBLE,
    severity VARCHAR NOT NULL,
    explanation VARCHAR NOT NULL,
    facts VARCHAR NOT NULL
);
