-- Portable SQL: the same statements run on SQLite (modernc.org/sqlite) and
-- PostgreSQL. Times are TEXT in a fixed-width UTC format so they sort.

-- +goose Up
CREATE TABLE runs (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    host           TEXT NOT NULL,
    run_time       TEXT NOT NULL,
    ingested       TEXT NOT NULL,
    exhunt_version TEXT NOT NULL DEFAULT '',
    rules_version  TEXT NOT NULL DEFAULT '',
    verdict        TEXT NOT NULL DEFAULT '',
    build          TEXT NOT NULL DEFAULT '',
    ip             TEXT NOT NULL DEFAULT '',
    exchange       INTEGER NOT NULL DEFAULT 0,
    cves           TEXT NOT NULL DEFAULT '',
    findings       INTEGER NOT NULL DEFAULT 0,
    doc            TEXT NOT NULL
);
CREATE INDEX runs_host ON runs (host, kind, run_time);

CREATE TABLE findings (
    run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    fkey     TEXT NOT NULL,
    host     TEXT NOT NULL,
    rule     TEXT NOT NULL,
    title    TEXT NOT NULL,
    severity TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    ftime    TEXT NOT NULL,
    source   TEXT NOT NULL,
    line     BIGINT NOT NULL,
    evidence TEXT NOT NULL,
    cves     TEXT NOT NULL,
    attack   TEXT NOT NULL,
    PRIMARY KEY (run_id, fkey)
);
CREATE INDEX findings_host ON findings (host, ftime);

CREATE TABLE indicators (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    host   TEXT NOT NULL,
    kind   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, kind, value)
);
CREATE INDEX indicators_value ON indicators (kind, value);

CREATE TABLE evidence_files (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    path   TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size   BIGINT NOT NULL,
    mtime  TEXT NOT NULL,
    PRIMARY KEY (run_id, path)
);
CREATE INDEX evidence_sha256 ON evidence_files (sha256);

-- +goose Down
DROP TABLE evidence_files;
DROP TABLE indicators;
DROP TABLE findings;
DROP TABLE runs;
