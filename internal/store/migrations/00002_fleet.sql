-- Fleet scale (issue 17): summaries kept up to date on every save, so the
-- dashboard pages, sorts and filters 100,000 hosts in the database instead
-- of reading every run; scan records per target for queued scans and for
-- `exhunt export --scans`. Portable SQL, as 00001.

-- +goose Up
-- One row per host (lower-cased name): its newest hunt and newest scan.
-- build is the newest scan's build, else the newest hunt's (as Hosts).
-- build_key is build with every part zero-padded, so it sorts by number.
CREATE TABLE host_summary (
    host_key   TEXT PRIMARY KEY,
    host       TEXT NOT NULL,
    verdict    TEXT NOT NULL DEFAULT '',
    findings   INTEGER NOT NULL DEFAULT 0,
    hunt_build TEXT NOT NULL DEFAULT '',
    scan_build TEXT NOT NULL DEFAULT '',
    build      TEXT NOT NULL DEFAULT '',
    build_key  TEXT NOT NULL DEFAULT '',
    hunt_build_key TEXT NOT NULL DEFAULT '',
    scan_build_key TEXT NOT NULL DEFAULT '',
    last_hunt  TEXT NOT NULL DEFAULT '',
    last_scan  TEXT NOT NULL DEFAULT '',
    runs       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX host_summary_verdict ON host_summary (verdict, host_key);
CREATE INDEX host_summary_build ON host_summary (build, host_key);
CREATE INDEX host_summary_build_key ON host_summary (build_key, host_key);
CREATE INDEX host_summary_findings ON host_summary (findings, host_key);
CREATE INDEX host_summary_last_hunt ON host_summary (last_hunt, host_key);
CREATE INDEX host_summary_last_scan ON host_summary (last_scan, host_key);

INSERT INTO host_summary (host_key, host, runs)
    SELECT lower(host), MAX(host), COUNT(*) FROM runs GROUP BY lower(host);
UPDATE host_summary SET
    last_hunt = COALESCE((SELECT MAX(run_time) FROM runs r WHERE lower(r.host) = host_summary.host_key AND r.kind = 'hunt'), ''),
    last_scan = COALESCE((SELECT MAX(run_time) FROM runs r WHERE lower(r.host) = host_summary.host_key AND r.kind = 'scan'), '');
UPDATE host_summary SET
    host = COALESCE((SELECT r.host FROM runs r WHERE lower(r.host) = host_summary.host_key AND r.kind = 'hunt' ORDER BY r.run_time DESC, r.ingested DESC, r.id LIMIT 1), host),
    verdict = COALESCE((SELECT r.verdict FROM runs r WHERE lower(r.host) = host_summary.host_key AND r.kind = 'hunt' ORDER BY r.run_time DESC, r.ingested DESC, r.id LIMIT 1), ''),
    findings = COALESCE((SELECT r.findings FROM runs r WHERE lower(r.host) = host_summary.host_key AND r.kind = 'hunt' ORDER BY r.run_time DESC, r.ingested DESC, r.id LIMIT 1), 0),
    hunt_build = COALESCE((SELECT r.build FROM runs r WHERE lower(r.host) = host_summary.host_key AND r.kind = 'hunt' ORDER BY r.run_time DESC, r.ingested DESC, r.id LIMIT 1), ''),
    scan_build = COALESCE((SELECT r.build FROM runs r WHERE lower(r.host) = host_summary.host_key AND r.kind = 'scan' ORDER BY r.run_time DESC, r.ingested DESC, r.id LIMIT 1), '');
UPDATE host_summary SET build = CASE WHEN scan_build <> '' THEN scan_build ELSE hunt_build END;
-- Zero-padding needs string functions the two dialects spell differently:
-- hosts migrated here sort by their build text until their next run.
UPDATE host_summary SET build_key = build, hunt_build_key = hunt_build, scan_build_key = scan_build;

-- Attacker indicators per host, and on how many hosts each was seen: the
-- correlation page reads indicator_stats by its host count.
CREATE TABLE indicator_hosts (
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    host_key TEXT NOT NULL,
    host     TEXT NOT NULL,
    PRIMARY KEY (kind, value, host_key)
);
CREATE TABLE indicator_stats (
    kind  TEXT NOT NULL,
    value TEXT NOT NULL,
    hosts INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX indicator_stats_hosts ON indicator_stats (hosts, kind, value);
INSERT INTO indicator_hosts (kind, value, host_key, host)
    SELECT kind, value, lower(host), MAX(host) FROM indicators GROUP BY kind, value, lower(host);
INSERT INTO indicator_stats (kind, value, hosts)
    SELECT kind, value, COUNT(*) FROM indicator_hosts GROUP BY kind, value;

-- A queued scan (exhunt scan --queue): its targets and options.
CREATE TABLE scans (
    id      TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    targets BIGINT NOT NULL,
    chunks  INTEGER NOT NULL,
    options TEXT NOT NULL
);

-- One scan record per target and scan: scan_id is the queued scan, or ''
-- for the newest result of the target stored any other way (exhunt scan,
-- import, upload). target_key is lower(host):port. A queued scan's row is
-- written before its run (so two workers racing on one target store one
-- result), hence no foreign key on run_id.
CREATE TABLE scan_targets (
    scan_id    TEXT NOT NULL,
    target_key TEXT NOT NULL,
    ordinal    BIGINT NOT NULL,
    run_id     TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    PRIMARY KEY (scan_id, target_key)
);
CREATE INDEX scan_targets_target ON scan_targets (target_key, scanned_at);
CREATE INDEX scan_targets_run ON scan_targets (run_id);
-- Scans stored before this migration: their port is only in the document,
-- so they are keyed by host alone.
INSERT INTO scan_targets (scan_id, target_key, ordinal, run_id, scanned_at)
    SELECT '', lower(r.host), 0, r.id, r.run_time FROM runs r WHERE r.kind = 'scan' AND r.id = (
        SELECT n.id FROM runs n WHERE n.kind = 'scan' AND lower(n.host) = lower(r.host) ORDER BY n.run_time DESC, n.ingested DESC, n.id LIMIT 1);

-- A queued hunt's evidence bundle (exhunt hunt --queue) and the result it
-- gave, per rule-pack version. Written before the run, like scan_targets.
CREATE TABLE hunt_bundles (
    sha256        TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    bundle        TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    hunted_at     TEXT NOT NULL,
    PRIMARY KEY (sha256, rules_version)
);

-- +goose Down
DROP TABLE hunt_bundles;
DROP TABLE scan_targets;
DROP TABLE scans;
DROP TABLE indicator_stats;
DROP TABLE indicator_hosts;
DROP TABLE host_summary;
